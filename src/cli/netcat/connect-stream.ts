/**
 * Opens the stream connection of `socketkit connect` with the library's `Socket`: TCP,
 * TLS or a Unix socket, with the `-w` connect timeout (covering the TLS handshake too),
 * every failure a socketkit error that names the address, and a refused server
 * certificate explained; or through a proxy (`--proxy`, `proxy-options.ts`), TLS then
 * started with the destination over the tunnel.
 * @module
 */
import { fromSystemError, type SocketkitError } from '../../errors.js';
import { Socket } from '../../socket/tcp-socket.js';
import type { TlsConnectOptions } from '../../socket/tls-pin.js';
import { certificateError } from '../client-tls.js';
import type { CliError } from '../io.js';
import { connectViaProxy, type ProxyChoice } from './proxy-options.js';

/** Where to connect: a host and port, or a Unix socket path. */
export type StreamTarget = { host: string; port: number } | { path: string };

/** Options of {@link connectStream}. */
export interface ConnectStreamOptions {
  /** TLS client options (`clientTlsOptions`); absent for plain TCP/Unix. */
  tls?: TlsConnectOptions;
  /** 4 or 6 to use one IP family only (`-4`, `-6`). */
  family?: 4 | 6;
  /** Connect timeout in seconds (`-w`); null waits as long as the OS does. */
  timeout?: number | null;
  /** Stops connecting (the caller then sees its signal aborted). */
  signal?: AbortSignal;
  /** Go through this proxy (`--proxy`): a host and port target only; `tls` over the tunnel. */
  proxy?: ProxyChoice;
}

/** The address of a target for messages. */
export function targetWhere(target: StreamTarget): {
  address?: string;
  port?: number;
  path?: string;
} {
  return 'path' in target ? { path: target.path } : { address: target.host, port: target.port };
}

/**
 * Connects and resolves with the connected (for TLS: handshaken) socket. The library's
 * sockets are half-open: the peer's EOF does not cut off what we still have to send.
 * @throws {SocketTimeoutError} when `timeout` expires.
 * @throws {ConnectError} (and subclasses) when the connection fails.
 * @throws {CliError} when the server's certificate is refused (with a hint).
 */
export async function connectStream(
  target: StreamTarget,
  options: ConnectStreamOptions = {},
): Promise<Socket> {
  if (options.proxy !== undefined && 'host' in target) {
    try {
      return await connectViaProxy(options.proxy, target, {
        family: options.family,
        timeout: options.timeout ?? null,
        signal: options.signal,
        tls: options.tls,
      });
    } catch (err) {
      // A refused certificate gets its hint; the rest (usage errors too) stays as it is.
      const cause = (err as { cause?: unknown } | null)?.cause;
      throw (err instanceof Error ? certificateError(cause, err.message) : null) ?? err;
    }
  }
  const sock = new Socket(
    'path' in target || options.family === undefined
      ? {}
      : { family: options.family === 4 ? 'IPv4' : 'IPv6' },
  );
  // Aborting destroys the attempt; the caller sees its own signal aborted and exits 130.
  const onAbort = (): void => sock.destroy();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) onAbort();
    await sock.connect(target, {
      timeout: options.timeout ?? null,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    });
    return sock;
  } catch (err) {
    sock.destroy();
    throw explain(err);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** A refused certificate gets a hint; anything else stays the socketkit error it is. */
function explain(err: unknown): SocketkitError | CliError {
  const converted = fromSystemError(err);
  const cause = (err as { cause?: unknown } | null)?.cause;
  return (
    certificateError(err, converted.message) ??
    certificateError(cause, converted.message) ??
    converted
  );
}
