/**
 * The stream half of the server framework: accepting connections (TCP, TLS, Unix),
 * refusing the ones the limits or access lists turn away, running the handler on a
 * socketkit `Socket`, and closing the connection when the handler settles.
 *
 * ```
 *  'connection' ─► access lists ─┬─ deny ─────────────► destroy      (refused: deny)
 *                                ├─ full ─────────────► "server busy" line, close
 *                                └─ verifyRequest() ──► submit ─► run:
 *      Socket.fromNetSocket ─► 'connection' channel ─► handler (function, or
 *      setup/handle/finish) ─► lingering close (flush, FIN, discard input until the
 *      client closes; destroy after closeTimeout)
 *      ─► 'close' channel {bytesRead, bytesWritten, durationMs, error?}
 * ```
 * An abrupt disconnect (reset, EOF mid-read, idle timeout) ends the handler with an error
 * that is reported on the `close` channel only: it is normal, not a server failure.
 * @module
 */
import type net from 'node:net';
import {
  ConnectionResetError,
  IncompleteReadError,
  InvalidArgumentError,
  SocketClosedError,
  SocketTimeoutError,
} from '../errors.js';
import { gracefulClose } from '../socket/graceful-close.js';
import { Socket } from '../socket/tcp-socket.js';
import { BaseServer } from './base-server.js';
import type { ConnectionContext, PeerAddress, StreamHandler } from './handler-types.js';
import { IdleSweeper } from './idle-sweeper.js';
import type { ServerTlsOptions } from './listener.js';
import { isHandlerClass, runHandler, StreamRequestHandler } from './request-handler.js';
import { publish, serverChannels } from './server-channels.js';
import { type BaseServerOptions, checkSeconds } from './server-options.js';

/** A `StreamRequestHandler` subclass. */
export type StreamRequestHandlerClass = new (
  socket: Socket,
  ctx: ConnectionContext,
  // `never`: any handler class fits, whatever type it gives its server parameter.
  server: never,
) => StreamRequestHandler;

/** Options every stream server takes. */
export interface StreamServerBaseOptions extends BaseServerOptions {
  /** Serves each connection: an async function, or a `StreamRequestHandler` subclass. */
  handler: StreamHandler | StreamRequestHandlerClass;
  /** The listen backlog; default 511. */
  backlog?: number;
  /**
   * Open connections at most (default 10 000). The next client gets the line
   * `server busy: too many connections\r\n` and is closed.
   */
  maxConnections?: number;
  /** Seconds without a byte either way before a connection is closed; null (default) = never. */
  idleTimeout?: number | null;
  /** Seconds to flush and close a connection after its handler settled; default 2. */
  closeTimeout?: number;
}

/**
 * Every stream server option, as one shape (what `TcpServer` and `UnixStreamServer` take;
 * each ignores the other's address options).
 */
export interface StreamServerOptions extends StreamServerBaseOptions {
  /**
   * TcpServer: the address to listen on. Default `127.0.0.1` — loopback only, safe by
   * default; use `0.0.0.0` for every IPv4 interface, or `::` for every interface, IPv6 and
   * (unless `ipv6Only`) IPv4 too (dual stack).
   */
  host?: string;
  /** TcpServer: the port; 0 (the default) picks a free one (read it back from `address`). */
  port?: number;
  /** UnixStreamServer: the socket file to create (removed again on close). Required there. */
  path?: string;
  /** TcpServer with host `::`: accept IPv6 clients only. Default false (dual stack). */
  ipv6Only?: boolean;
  /** TcpServer: disable Nagle's algorithm on each connection (`TCP_NODELAY`). Default true. */
  noDelay?: boolean;
  /** Serve TLS instead of plain TCP (or plain Unix). */
  tls?: ServerTlsOptions;
}

/** The line a client gets when the server is full. */
export const BUSY_LINE = 'server busy: too many connections\r\n';

interface Connection {
  id: number;
  raw: net.Socket;
  socket: Socket | null;
  remote: PeerAddress;
  started: number;
  idled: boolean;
}

let nextId = 1;

/** Hands out connection and datagram ids, unique within the process. */
export function nextRequestId(): number {
  return nextId++;
}

/** What TCP, TLS and Unix stream servers share. Not used directly. */
export abstract class StreamServer extends BaseServer {
  readonly #opts: StreamServerBaseOptions;
  readonly #conns = new Map<number, Connection>();
  readonly #sweeper: IdleSweeper | null;
  #listener: net.Server | null = null;

  constructor(options: StreamServerBaseOptions) {
    super(options);
    if (typeof options.handler !== 'function') {
      throw new InvalidArgumentError(
        'handler must be an async function (socket, ctx) or a StreamRequestHandler subclass',
      );
    }
    checkPositiveInt(options.backlog, 'backlog');
    checkPositiveInt(options.maxConnections, 'maxConnections');
    checkSeconds(options.idleTimeout, 'idleTimeout', true);
    checkSeconds(options.closeTimeout, 'closeTimeout', false);
    this.#opts = options;
    const idle = options.idleTimeout ?? null;
    this.#sweeper = idle === null || idle === 0 ? null : new IdleSweeper(idle);
  }

  /** Open connections in this process (queued and being handled). */
  get connections(): number {
    return this.#conns.size;
  }

  /** The listen backlog. */
  protected get backlogSize(): number {
    return this.#opts.backlog ?? 511;
  }

  /** Creates the `net.Server` (or `tls.Server`) and starts it listening. */
  protected abstract createListener(onConnection: (raw: net.Socket) => void): Promise<net.Server>;

  /** Called per accepted socket before anything else (TCP applies `noDelay`). */
  protected prepareSocket(_raw: net.Socket): void {}

  protected async bind(): Promise<void> {
    this.#listener = await this.createListener((raw) => this.#onConnection(raw));
  }

  /** The listening `net.Server` (an escape hatch); null before `listen()`. */
  get raw(): net.Server | null {
    return this.#listener;
  }

  protected async stopAccepting(): Promise<void> {
    const listener = this.#listener;
    if (listener === null) return;
    // close() stops listening at once; its callback waits for connections, which we
    // track ourselves, so do not wait for it.
    await new Promise<void>((resolve) => {
      listener.close(() => {});
      setImmediate(resolve);
    });
  }

  protected destroyActive(): number {
    let n = 0;
    for (const conn of this.#conns.values()) {
      n++;
      if (conn.socket !== null) conn.socket.destroy();
      else conn.raw.destroy();
    }
    return n;
  }

  protected override async cleanup(): Promise<void> {
    this.#sweeper?.stop();
  }

  /** Turns a client away: a deny destroys at once; a full server says so first. */
  protected refuse(raw: net.Socket, remote: PeerAddress, reason: 'deny' | 'maxConnections'): void {
    publish(serverChannels.refused, () => ({ remote, reason, server: this }));
    if (reason === 'deny') {
      raw.destroy();
      return;
    }
    // The socket layer's lingering close: the line, FIN, then discard what the client
    // sends until it closes (unread data would make the kernel send RST, and the client
    // might lose the line before reading it); at most 2 s in all.
    raw.on('data', () => {});
    raw.write(BUSY_LINE);
    void gracefulClose(raw, { closeTimeout: 2, linger: 2 });
  }

  #onConnection(raw: net.Socket): void {
    // First of all: an 'error' without a listener would crash the process.
    raw.on('error', () => {});
    const remote = this.remoteOf(raw);
    if (!this.listening) {
      raw.destroy();
      return;
    }
    if (!this.access.permits(remote)) {
      this.refuse(raw, remote, 'deny');
      return;
    }
    if (this.#conns.size >= (this.#opts.maxConnections ?? 10_000)) {
      this.refuse(raw, remote, 'maxConnections');
      return;
    }
    this.prepareSocket(raw);
    const conn: Connection = {
      id: nextRequestId(),
      raw,
      socket: null,
      remote,
      started: Date.now(),
      idled: false,
    };
    this.#conns.set(conn.id, conn);
    // A client that vanishes while queued must not hold a slot.
    const onEarlyClose = (): void => {
      if (conn.socket === null) this.#conns.delete(conn.id);
    };
    raw.once('close', onEarlyClose);
    Promise.resolve()
      .then(() => this.verifyRequest(remote))
      .then(
        (ok) => {
          if (!ok) {
            this.#conns.delete(conn.id);
            this.refuse(raw, remote, 'deny');
            return;
          }
          this.submit({
            run: () => {
              raw.off('close', onEarlyClose);
              return this.#serve(conn);
            },
            discard: () => {
              this.#conns.delete(conn.id);
              raw.destroy();
            },
          });
        },
        (error: unknown) => {
          this.#conns.delete(conn.id);
          raw.destroy();
          this.reportError(error, { phase: 'accept', id: conn.id, remote });
        },
      );
  }

  /** The client's address as a `PeerAddress`. */
  protected abstract remoteOf(raw: net.Socket): PeerAddress;

  async #serve(conn: Connection): Promise<void> {
    const { raw, remote, id } = conn;
    if (raw.destroyed) {
      this.#conns.delete(id);
      return;
    }
    // One bound for the whole close, lingering included (see Socket.close).
    const closeTimeout = this.#opts.closeTimeout ?? 2;
    const socket = Socket.fromNetSocket(raw, { closeTimeout, lingerTimeout: closeTimeout });
    conn.socket = socket;
    const transport = this.transport as 'tcp' | 'tls' | 'unix';
    const ctx: ConnectionContext = {
      remote,
      local: this.address,
      transport,
      signal: this.signal,
      id,
    };
    publish(serverChannels.connection, () => ({ id, remote, transport, server: this }));
    let idleError: SocketTimeoutError | undefined;
    this.#sweeper?.add(conn, raw, () => {
      conn.idled = true;
      idleError = new SocketTimeoutError(
        'idle connection',
        this.#opts.idleTimeout ?? 0,
        whereOf(remote),
      );
      socket.destroy(idleError);
    });
    let error: Error | undefined;
    try {
      const handler = this.#opts.handler;
      if (isHandlerClass(handler, StreamRequestHandler)) {
        await runHandler(new (handler as StreamRequestHandlerClass)(socket, ctx, this as never));
      } else {
        await (handler as StreamHandler)(socket, ctx);
      }
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      if (!isDisconnect(err) && !conn.idled && !socket.closed) {
        try {
          await this.handleError(err, { phase: 'handler', id, remote });
        } catch (hookError) {
          publish(serverChannels.error, () => ({
            error: hookError,
            phase: 'handler' as const,
            id,
            remote,
            server: this,
          }));
        }
      }
    } finally {
      this.#sweeper?.delete(conn);
      // A lingering close (Socket.close): flush, FIN, discard input until the client
      // closes too or closeTimeout passes, so the client never loses the reply's end.
      await socket.close({ wait: true });
      this.#conns.delete(id);
      // A handler serving `raw` directly (echo) just sees 'close': name the real cause.
      if (idleError !== undefined) error = idleError;
      publish(serverChannels.close, () => ({
        id,
        remote,
        bytesRead: raw.bytesRead,
        bytesWritten: raw.bytesWritten,
        durationMs: Date.now() - conn.started,
        ...(error !== undefined ? { error } : {}),
      }));
    }
  }
}

/** True for the ways a client legitimately goes away mid-conversation. */
export function isDisconnect(err: unknown): boolean {
  if (
    err instanceof ConnectionResetError ||
    err instanceof IncompleteReadError ||
    err instanceof SocketClosedError ||
    err instanceof SocketTimeoutError
  ) {
    return true;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_DESTROYED';
}

function whereOf(remote: PeerAddress): { address?: string; port?: number; path?: string } {
  return remote.family === 'unix'
    ? { path: remote.path }
    : { address: remote.address, port: remote.port };
}

/** @throws {InvalidArgumentError} unless `value` is undefined or a positive integer. */
export function checkPositiveInt(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
}
