/**
 * The IPC messages between a multi-process server's primary and its workers.
 * @module
 */
import cluster from 'node:cluster';
import { fromSystemError, SocketError, type SocketkitError } from '../errors.js';
import type { PeerAddress } from './handler-types.js';

/** The environment variable that marks a socketkit server worker. */
export const ENV_FLAG = 'SOCKETKIT_SERVER_WORKER';

/** True in a worker process forked by a multi-process socketkit server. */
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
  | { socketkit: 'listening'; key: number; address: PeerAddress }
  | { socketkit: 'listen-error'; key: number; error: ErrorShape }
  | { socketkit: 'closed'; key: number }
  /** A datagram server's reply, for the primary to send from the socket it owns. */
  | { socketkit: 'reply'; key: number; data: string; path: string };

/** What the primary tells a worker. */
export type ToWorker =
  | { socketkit: 'shutdown'; key: number; drainTimeout: number }
  /** A datagram the primary received, for the worker to handle (base64 payload). */
  | { socketkit: 'datagram'; key: number; data: string; path: string };

/** True for socketkit's own IPC messages (other messages pass untouched). */
export function isMessage(value: unknown): value is { socketkit: string; key: number } {
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
  return new SocketError(shape.message, shape.code ?? 'ERR_SOCKET', {
    syscall: shape.syscall,
    address: shape.address,
    port: shape.port,
    path: shape.path,
  });
}
