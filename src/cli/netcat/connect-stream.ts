/**
 * Opens the stream connection of `socketkit connect`: TCP, TLS or a Unix socket, with
 * the `-w` connect timeout (covering the TLS handshake too), every failure turned into
 * a socketkit error that names the address.
 * @module
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  fromSystemError,
  SocketClosedError,
  type SocketkitError,
  SocketTimeoutError,
} from '../../errors.js';
import { certificateError } from '../client-tls.js';
import type { CliError } from '../io.js';

/** Where to connect: a host and port, or a Unix socket path. */
export type StreamTarget = { host: string; port: number } | { path: string };

/** Options of {@link connectStream}. */
export interface ConnectStreamOptions {
  /** TLS client options; absent for plain TCP/Unix. */
  tls?: tls.ConnectionOptions;
  /** 4 or 6 to use one IP family only (`-4`, `-6`). */
  family?: 4 | 6;
  /** Connect timeout in seconds (`-w`); null waits as long as the OS does. */
  timeout?: number | null;
  signal?: AbortSignal;
}

/** The error address of a target, for `fromSystemError`. */
export function targetWhere(target: StreamTarget): {
  address?: string;
  port?: number;
  path?: string;
  hostname?: string;
} {
  return 'path' in target
    ? { path: target.path }
    : { address: target.host, port: target.port, hostname: target.host };
}

/**
 * Connects and resolves with the connected (for TLS: handshaken) socket, half-open
 * allowed so that the peer's EOF does not cut off what we still have to send.
 * @throws {SocketTimeoutError} when `timeout` expires.
 * @throws {ConnectError} (and subclasses) when the connection fails.
 * @throws {CliError} when the server's certificate is refused (with a hint).
 */
export function connectStream(
  target: StreamTarget,
  options: ConnectStreamOptions = {},
): Promise<net.Socket> {
  const where = { ...targetWhere(target), syscall: 'connect' };
  return new Promise((resolve, reject) => {
    const base =
      'path' in target
        ? { path: target.path, allowHalfOpen: true }
        : {
            host: target.host,
            port: target.port,
            allowHalfOpen: true,
            ...(options.family === undefined ? {} : { family: options.family }),
          };
    const sock = options.tls
      ? tls.connect({ ...base, ...options.tls })
      : net.connect(base as net.NetConnectOpts);
    const ready = options.tls ? 'secureConnect' : 'connect';
    let timer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off(ready, onReady);
      sock.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: SocketkitError | CliError): void => {
      cleanup();
      sock.destroy();
      reject(err);
    };
    const onReady = (): void => {
      cleanup();
      resolve(sock);
    };
    const onError = (err: Error): void => {
      const converted = fromSystemError(err, where);
      fail(certificateError(err, converted.message) ?? converted);
    };
    const onAbort = (): void => {
      // The caller sees its own signal aborted and exits quietly with 130.
      fail(new SocketClosedError('connect', where));
    };
    sock.once(ready, onReady);
    sock.on('error', onError);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeout != null) {
      const seconds = options.timeout;
      timer = setTimeout(
        () => fail(new SocketTimeoutError('connect', seconds, where)),
        seconds * 1000,
      );
    }
  });
}
