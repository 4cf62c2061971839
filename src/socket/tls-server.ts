/**
 * `createTlsServer`: the one place socketkit creates TLS server sockets (the server
 * framework's TLS listeners and `socketkit listen --tls` both use it), so that a
 * connection that never completes its handshake cannot hold a file descriptor.
 *
 * ```
 *  'connection' (raw TCP) ─► onRaw(raw)? ─ false ─► (the caller destroyed it)
 *        │ true: pending, deadline = now + handshakeTimeout
 *        ├─ handshake done ───────────► onSecure(tlsSocket) (half-close restored)
 *        ├─ client closed (FIN / RST) ─► destroyed at once ─┐
 *        ├─ handshake failed ──────────► destroyed at once ─┼─► onAbandoned(raw, why)
 *        └─ deadline passed ───────────► destroyed ─────────┘
 * ```
 *
 * Why this is needed (issue 10, defect 1): Node's `tls.Server` does not destroy a socket
 * whose handshake fails or times out — it only emits `tlsClientError` — and with
 * `allowHalfOpen` a client's FIN before the handshake leaves the socket half open for
 * ever. About 20 s of such clients exhausted the process's descriptors. So here the
 * server is created without `allowHalfOpen` (a FIN before the handshake closes the
 * socket; each secure socket gets the caller's half-close setting back before anyone
 * sees it), and every `tlsClientError` destroys its socket.
 *
 * The deadline is absolute, from the TCP accept: Node's own `handshakeTimeout` is an
 * inactivity timer (a client trickling one byte every few seconds would reset it for
 * hours). One sweeper per server checks the deadlines, like the idle sweeper: entries
 * are kept in accept order, which is deadline order, so a tick looks only at the
 * expired ones and the first live one. Node's per-socket inactivity timer cannot be
 * turned off (0 means its 120 s default), so it is set to twice the deadline: a backstop
 * that never fires first.
 * @module
 */
import type * as net from 'node:net';
import tls from 'node:tls';
import { SocketTimeoutError } from '../errors.js';

/** Default seconds a TLS client has to complete its handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10;

/** What a TLS server reports back to its owner. */
export interface TlsServerEvents {
  /**
   * A raw TCP connection, before the handshake. Return false to refuse it: the
   * callee destroys (or otherwise closes) it, and nothing more is reported about it.
   */
  onRaw?: (raw: net.Socket) => boolean;
  /** A connection whose handshake completed (its `allowHalfOpen` is the caller's). */
  onSecure: (socket: tls.TLSSocket, raw: net.Socket) => void;
  /**
   * An admitted connection that is gone before its handshake completed, destroyed
   * already. `error`: why — a failed handshake, or a `SocketTimeoutError` for the
   * deadline; `null` when the client just went away.
   */
  onAbandoned?: (raw: net.Socket, error: Error | null) => void;
}

/** Options of {@link createTlsServer}: Node's TLS options plus the limits. */
export interface TlsServerOptions extends tls.TlsOptions {
  /** Seconds from accept to a completed handshake; default {@link DEFAULT_HANDSHAKE_TIMEOUT}. */
  handshakeTimeout?: number;
  /** Half-close for established connections (see `net.Server`); default false. */
  allowHalfOpen?: boolean;
}

/** The connections of each TLS server still in their handshake (see destroyHandshaking). */
const handshaking = new WeakMap<net.Server, Map<net.Socket, Pending>>();

interface Pending {
  deadline: number;
  /** Why the connection was destroyed, once it was. */
  error: Error | null;
}

/**
 * Creates a `tls.Server` whose pre-handshake connections are bounded in time and freed
 * as soon as they fail (see the module comment). Listen on it as on any `net.Server`.
 * @throws {InvalidArgumentError} from Node for bad TLS options.
 */
export function createTlsServer(options: TlsServerOptions, events: TlsServerEvents): tls.Server {
  const { handshakeTimeout: seconds = DEFAULT_HANDSHAKE_TIMEOUT, ...tlsOptions } = options;
  const halfOpen = options.allowHalfOpen ?? false;
  const timeoutMs = Math.max(1, Math.round(seconds * 1000));
  const server = tls.createServer({
    ...tlsOptions,
    allowHalfOpen: false,
    handshakeTimeout: 2 * timeoutMs,
  });
  const pending = new Map<net.Socket, Pending>();
  handshaking.set(server, pending);
  const tickMs = Math.min(1000, Math.max(50, Math.floor(timeoutMs / 4)));
  let timer: NodeJS.Timeout | undefined;

  const sweep = (): void => {
    const now = Date.now();
    // Accept order is deadline order: stop at the first connection still in time.
    for (const [raw, entry] of pending) {
      if (entry.deadline > now) break;
      entry.error = new SocketTimeoutError('TLS handshake', seconds, whereOf(raw));
      raw.destroy();
      // 'close' comes later: take it off now so the loop moves on.
      pending.delete(raw);
      events.onAbandoned?.(raw, entry.error);
    }
    if (pending.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  server.on('connection', (raw: net.Socket) => {
    // Runs after tls.Server's own listener, which wrapped `raw` in a TLSSocket.
    raw.on('error', ignore);
    if (events.onRaw !== undefined && !events.onRaw(raw)) return;
    const entry: Pending = { deadline: Date.now() + timeoutMs, error: null };
    pending.set(raw, entry);
    raw.once('close', () => {
      if (pending.delete(raw)) events.onAbandoned?.(raw, entry.error);
    });
    if (timer === undefined) {
      timer = setInterval(sweep, tickMs);
      // Handshake bookkeeping alone must never keep the process alive.
      timer.unref();
    }
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const raw = parentOf(socket);
    if (raw !== undefined) {
      if (!pending.delete(raw)) {
        // Timed out (or refused) in the same turn the handshake completed.
        socket.destroy();
        return;
      }
    }
    socket.allowHalfOpen = halfOpen;
    events.onSecure(socket, raw ?? socket);
  });
  server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
    const raw = parentOf(socket);
    if (raw !== undefined) {
      const entry = pending.get(raw);
      // A client that hung up is no error; anything else says why the handshake failed.
      if (entry !== undefined && entry.error === null && !isHangUp(error)) {
        entry.error =
          (error as { code?: unknown }).code === 'ERR_TLS_HANDSHAKE_TIMEOUT'
            ? new SocketTimeoutError('TLS handshake', seconds, whereOf(raw))
            : error;
      }
    }
    // Node leaves the socket open after a failed handshake: that was the leak.
    socket.destroy();
    raw?.destroy();
  });
  server.on('close', () => {
    clearInterval(timer);
    timer = undefined;
  });
  return server;
}

/**
 * Destroys every connection of `server` (made by {@link createTlsServer}) still in its
 * handshake — a server shutting down has nothing to serve them — and returns how many.
 * Each is reported to `onAbandoned` as it closes.
 */
export function destroyHandshaking(server: net.Server): number {
  const pending = handshaking.get(server);
  if (pending === undefined) return 0;
  const n = pending.size;
  for (const raw of pending.keys()) raw.destroy();
  return n;
}

/** The TCP socket under a server-side TLSSocket (Node's `_parent`, set since Node 0.11). */
function parentOf(socket: tls.TLSSocket): net.Socket | undefined {
  return (socket as unknown as { _parent?: net.Socket })._parent ?? undefined;
}

function isHangUp(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function whereOf(raw: net.Socket): { address?: string; port?: number } {
  return raw.remoteAddress === undefined
    ? {}
    : {
        address: raw.remoteAddress,
        ...(raw.remotePort !== undefined ? { port: raw.remotePort } : {}),
      };
}

function ignore(): void {}
