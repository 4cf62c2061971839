/**
 * The IPC messages between a `ClusterSupervisor`'s primary and its workers. Every
 * message about one server names it by its key in the server factory's record.
 * @module
 */
import cluster from 'node:cluster';
import { fromSystemError, isErrorCode, SocketError, type SocketkitError } from '../errors.js';
import type { PeerAddress } from './handler-types.js';

/** The environment variable that marks a socketkit server worker. */
export const ENV_FLAG = 'SOCKETKIT_SERVER_WORKER';

/** True in a worker process forked by a `ClusterSupervisor` (it runs the servers the primary supervises). */
export function isServerWorker(): boolean {
  return cluster.isWorker && process.env[ENV_FLAG] === '1';
}

/** A listen error, as it travels from a worker to the primary. */
export interface ErrorShape {
  message: string;
  code?: string;
  errno?: string;
  syscall?: string;
  address?: string;
  port?: number;
  path?: string;
}

/** What a worker tells the primary. */
export type ToPrimary =
  | { socketkit: 'listening'; key: string; address: PeerAddress }
  | { socketkit: 'listen-error'; key: string; error: ErrorShape }
  /** Every server of the worker has shut down. */
  | { socketkit: 'closed' }
  /** A relayed datagram server's reply, for the primary to send from the socket it owns. */
  | { socketkit: 'reply'; key: string; data: string; path: string };

/** What the primary tells a worker. */
export type ToWorker =
  /**
   * Shut every server down, with this drain time, or null for each server's own (sent
   * again with 0 to cut it short).
   */
  | { socketkit: 'shutdown'; drainTimeout: number | null }
  /** A datagram the primary received, for the worker to handle (base64 payload). */
  | { socketkit: 'datagram'; key: string; data: string; path: string };

/** True for socketkit's own IPC messages (other messages pass untouched). */
export function isMessage(value: unknown): value is { socketkit: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { socketkit?: unknown }).socketkit === 'string'
  );
}

/** Rebuilds a worker's listen error in the primary, with its class (`AddressInUseError`, …). */
export function reviveError(shape: ErrorShape): SocketkitError {
  if (shape.errno !== undefined) {
    const err = Object.assign(new Error(shape.message), {
      code: shape.errno,
      syscall: shape.syscall,
      address: shape.address,
      port: shape.port,
    });
    return fromSystemError(err, { path: shape.path, syscall: shape.syscall });
  }
  return new SocketError(shape.message, isErrorCode(shape.code) ? shape.code : 'ERR_SOCKET', {
    syscall: shape.syscall,
    address: shape.address,
    port: shape.port,
    path: shape.path,
  });
}

/** A listen error, as it travels from a worker to the primary. */
export function errorShape(err: unknown): ErrorShape {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    message: str(e.message) ?? String(err),
    code: str(e.code),
    errno: str(e.errno),
    syscall: str(e.syscall),
    address: str(e.address),
    port: typeof e.port === 'number' ? e.port : undefined,
    path: str(e.path),
  };
}
