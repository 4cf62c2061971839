/**
 * `Listener`: a listening stream socket (TCP v4/v6, dual stack, Unix paths) with
 * Python's `bind`/`listen`/`accept`, as promises, on top of `net.Server`.
 *
 * Node binds and listens in one step, so `Listener.bind()` returns a socket that is
 * already listening (with the `backlog` of its options; default `net.core.somaxconn`, at
 * most 4096); `listen(backlog)` exists for Python-shaped code and resizes the queue.
 *
 * Connections the kernel hands over while nobody calls `accept()` wait in a queue of
 * `maxPending` connections (default: the backlog). Node cannot stop accepting for a
 * while, so when that queue is full each further connection is reset at once (the
 * client sees ECONNRESET, not a hang), counted in `rejected` and published on the
 * `socketkit:listener:overflow` diagnostics channel. Nothing queued is ever lost.
 *
 * With `tls`, the listening socket is made by `createTlsServer` (tls-server.ts, the one
 * place TLS servers are made): a client is checked by `admit` before its handshake, the
 * handshake has a deadline (`handshakeTimeout`, default 10 s), a failed one is published
 * on `socketkit:listener:handshake`, and `accept()` returns only handshaken connections.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import util from 'node:util';
import { type AbortOptions, onAbort, throwIfAborted } from '../internal/abort-signal.js';
import {
  fromSystemError,
  InvalidArgumentError,
  SocketClosedError,
  SocketTimeoutError,
  WouldBlockError,
} from '../errors.js';
import {
  checkAddress,
  isUnixAddress,
  type PeerAddress,
  type SocketAddress,
  toPeerAddress,
} from './address.js';
import { checkBacklog, defaultBacklog } from './backlog.js';
import { relisten } from './net-internals.js';
import { Socket, type SocketOptions } from './tcp-socket.js';
import { createTlsServer, destroyHandshaking, type TlsServerOptions } from './tls-server.js';
import { claimUnixSocketPath } from './unix-path.js';
import { checkTimeout, waitForEvent } from './wait.js';
import { ignoreError } from '../internal/ignore-error.js';

/** Options of `Listener.bind()`. */
export interface ListenerOptions {
  /**
   * The kernel's queue of connections not yet accepted (Python's `listen(backlog)`).
   * Default: `net.core.somaxconn`, at most 4096 (see {@link defaultBacklog}).
   */
  backlog?: number;
  /** For `::`: accept IPv6 only (no IPv4-mapped clients). Default false (dual stack). */
  ipv6Only?: boolean;
  /** Do not share the port with cluster workers. Default false. */
  exclusive?: boolean;
  /** Connections queued in the process awaiting `accept()`; more are reset. Default: the backlog. */
  maxPending?: number;
  /** Seconds `accept()` waits; `null` = for ever; `0` = non-blocking. Default null. */
  timeout?: number | null;
  /**
   * Unix paths: remove a socket file nobody answers on (a crashed server's leftover), and
   * refuse anything else at the path with a clear `AddressInUseError` (see
   * `claimUnixSocketPath`). Default true; false binds as is.
   */
  removeStale?: boolean;
  /** Options of the accepted sockets (`timeout`, `highWaterMark`, …). */
  socketOptions?: SocketOptions;
  /**
   * Serve TLS: Node's server options (`cert`, `key`, `ca`, `requestCert`, …) plus
   * `handshakeTimeout`, the seconds from accept to a completed handshake (default 10);
   * a client that misses it is closed. Accepted sockets are handshaken `TLSSocket`s.
   */
  tls?: Omit<TlsServerOptions, 'allowHalfOpen'>;
  /**
   * Decides, as soon as the kernel hands a connection over (for TLS: before the
   * handshake), whether it is accepted; one that is not is closed and never queued.
   * Unix clients have the address `{ family: 'unix', path: '' }`. Default: all.
   */
  admit?: (address: PeerAddress) => boolean;
}

/** One accepted connection: the connected socket and the client's address. */
export interface Accepted {
  socket: Socket;
  address: PeerAddress;
}

interface Waiter {
  resolve: (a: Accepted) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  /** Removes the abort listener; null without a signal. */
  unlisten: (() => void) | null;
}

const overflowChannel = channel('socketkit:listener:overflow');
const handshakeChannel = channel('socketkit:listener:handshake');

export { defaultBacklog, MAX_DEFAULT_BACKLOG } from './backlog.js';

/**
 * A listening socket.
 *
 * @example
 * ```ts
 * const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
 * const { port } = listener.address as { port: number };
 * for await (const { socket } of listener) {
 *   await socket.sendAll('hello\n');
 *   await socket.close();
 * }
 * ```
 */
export class Listener implements AsyncIterable<Accepted>, AsyncDisposable {
  readonly #server: net.Server;
  readonly #unix: boolean;
  #maxPending: number;
  /** True when `maxPending` was given: `listen(backlog)` leaves it alone. */
  readonly #fixedMaxPending: boolean;
  readonly #socketOptions: SocketOptions;
  readonly #admit: ((address: PeerAddress) => boolean) | null;
  readonly #tls: boolean;
  #timeout: number | null;
  #pending: Accepted[] = [];
  #waiters: Waiter[] = [];
  #rejected = 0;
  #closed = false;
  #address: PeerAddress | null = null;

  private constructor(
    server: net.Server,
    unix: boolean,
    options: ListenerOptions,
    backlog: number,
  ) {
    this.#server = server;
    this.#unix = unix;
    this.#maxPending = options.maxPending ?? backlog;
    this.#fixedMaxPending = options.maxPending !== undefined;
    // Built once: every accepted socket is wrapped with the same options.
    const socketOptions = options.socketOptions ?? {};
    this.#socketOptions = unix ? { ...socketOptions, family: 'unix' } : socketOptions;
    this.#timeout = checkTimeout(options.timeout ?? null);
    this.#admit = options.admit ?? null;
    this.#tls = options.tls !== undefined;
    // TLS: createTlsServer reports handshaken sockets to #onConnection (see bind).
    if (!this.#tls) server.on('connection', (raw: net.Socket) => this.#onConnection(raw));
    // After listening, server errors (EMFILE on accept, …) must not crash the process:
    // they reject the next accept.
    server.on('error', (err) => this.#failOne(fromSystemError(err, { syscall: 'accept' })));
  }

  /**
   * Binds to `address` and listens. An empty host means every interface (`::`, dual
   * stack, when the machine has IPv6); port 0 picks a free port (read it from `address`).
   * @throws {AddressInUseError}, `AddressNotAvailableError`, `PermissionDeniedError`, `InvalidArgumentError`.
   */
  static async bind(address: SocketAddress, options: ListenerOptions = {}): Promise<Listener> {
    const target = checkAddress(address, 'address', '');
    const backlog = options.backlog ?? defaultBacklog();
    checkBacklog(backlog, 0);
    if (
      options.maxPending !== undefined &&
      (!Number.isInteger(options.maxPending) || options.maxPending < 0)
    ) {
      throw new InvalidArgumentError(
        `maxPending must be an integer >= 0, got ${String(options.maxPending)}`,
      );
    }
    if (options.admit !== undefined && typeof options.admit !== 'function') {
      throw new InvalidArgumentError('admit must be a function');
    }
    const unix = isUnixAddress(target);
    if (unix && (options.removeStale ?? true)) await claimUnixSocketPath(target.path);
    let listener: Listener | null = null;
    const server =
      options.tls === undefined
        ? net.createServer({ allowHalfOpen: true })
        : createTlsServer(
            { ...options.tls, allowHalfOpen: true },
            {
              onRaw: (raw) => listener !== null && listener.#admitRaw(raw),
              onSecure: (socket) => {
                if (listener !== null) listener.#onConnection(socket);
              },
              onAbandoned: (raw, error) => {
                if (listener !== null) listener.#onHandshakeFailed(raw, error);
              },
            },
          );
    listener = new Listener(server, unix, options, backlog);
    const where = unix
      ? { path: target.path, syscall: 'bind' }
      : { address: target.host || '::', port: target.port, syscall: 'bind' };
    const listening = waitForEvent(server, 'listening', {
      timeoutMs: null,
      onTimeout: () => new SocketTimeoutError('bind', 0, where),
      convert: (err) => fromSystemError(err, where),
      closedError: () => new SocketClosedError('bind', where),
    });
    try {
      if (isUnixAddress(target)) {
        server.listen({ path: target.path, backlog, exclusive: options.exclusive ?? false });
      } else {
        server.listen({
          port: target.port,
          ...(target.host === '' ? {} : { host: target.host }),
          backlog,
          ipv6Only: options.ipv6Only ?? false,
          exclusive: options.exclusive ?? false,
        });
      }
      await listening;
    } catch (err) {
      listening.catch(ignoreError('socket:listen-waiter'));
      server.close();
      throw fromSystemError(err, where);
    }
    listener.#address = listener.#readAddress(unix ? target.path : '');
    return listener;
  }

  /**
   * Python's `listen(backlog)`. Node listens as it binds (with the `backlog` given to
   * `Listener.bind`), so without an argument this only checks that the listener is open.
   * With one, it resizes the kernel's queue of the listening socket (a second `listen(2)`,
   * which Linux applies to a socket already listening) and, unless `maxPending` was given,
   * the in-process queue of connections awaiting `accept()` too, so that Python-shaped
   * `bind()` + `listen(n)` code gets the queue it asked for. Where the socket's handle is
   * not this process's own (a `node:cluster` worker), only the in-process queue changes.
   * @throws {SocketClosedError} once closed; `InvalidArgumentError` for a bad backlog.
   */
  listen(backlog?: number): void {
    if (this.#closed) throw new SocketClosedError('listen', this.#where());
    if (backlog === undefined) return;
    checkBacklog(backlog, 0);
    const status = relisten(this.#server, backlog);
    if (status !== undefined && status < 0) {
      const errno = util.getSystemErrorName(status);
      throw fromSystemError(Object.assign(new Error(`listen ${errno}`), { code: errno }), {
        ...this.#where(),
        syscall: 'listen',
      });
    }
    if (!this.#fixedMaxPending) this.#maxPending = backlog;
  }

  /** The bound address; for port 0, the port the system picked. */
  get address(): PeerAddress {
    if (this.#address === null) throw new SocketClosedError('address');
    return this.#address;
  }

  /** Same as `address` (Python's `getsockname`). */
  getSockName(): PeerAddress {
    return this.address;
  }

  /** Connections reset because `maxPending` were already waiting for `accept()`. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Connections accepted by the kernel and waiting for `accept()`. */
  get pending(): number {
    return this.#pending.length;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The underlying `net.Server` (escape hatch). */
  get raw(): net.Server {
    return this.#server;
  }

  /** Sets the timeout of `accept()` in seconds; `null` = none; `0` = non-blocking. */
  setOperationTimeout(seconds: number | null): void {
    this.#timeout = checkTimeout(seconds);
  }

  /** The timeout of `accept()`, in seconds. */
  getOperationTimeout(): number | null {
    return this.#timeout;
  }

  /** `setBlocking(false)` = `setOperationTimeout(0)`. */
  setBlocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /**
   * Waits for the next connection. `options.signal` aborts the wait (it rejects with
   * `signal.reason`); the next connection then goes to the next `accept()`.
   * @throws {SocketTimeoutError}, `WouldBlockError`, `SocketClosedError`.
   */
  accept(options?: AbortOptions): Promise<Accepted> {
    let signal: AbortSignal | undefined;
    try {
      signal = throwIfAborted(options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closed) return Promise.reject(new SocketClosedError('accept', this.#where()));
    const next = this.#pending.shift();
    if (next !== undefined) return Promise.resolve(next);
    const timeout = this.#timeout;
    if (timeout === 0) return Promise.reject(new WouldBlockError('accept', this.#where()));
    return new Promise<Accepted>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined, unlisten: null };
      if (timeout !== null) {
        w.timer = setTimeout(
          () => this.#giveUp(w, new SocketTimeoutError('accept', timeout, this.#where())),
          timeout * 1000,
        );
      }
      if (signal !== undefined) w.unlisten = onAbort(signal, () => this.#giveUp(w, signal.reason));
      this.#waiters.push(w);
    });
  }

  /** A waiting `accept()` times out or is aborted: it leaves the queue of waiters. */
  #giveUp(w: Waiter, err: unknown): void {
    const i = this.#waiters.indexOf(w);
    if (i === -1) return;
    this.#waiters.splice(i, 1);
    settled(w);
    w.reject(err);
  }

  /**
   * Iterates over incoming connections until the listener is closed (the loop then ends)
   * or `options.signal` aborts (the loop throws `signal.reason`).
   */
  async *connections(options?: AbortOptions): AsyncIterableIterator<Accepted> {
    for (;;) {
      try {
        yield await this.accept(options);
      } catch (err) {
        if (err instanceof SocketClosedError && this.#closed) return;
        throw err;
      }
    }
  }

  /** `connections()`: `for await (const { socket } of listener)`. */
  [Symbol.asyncIterator](): AsyncIterator<Accepted> {
    return this.connections();
  }

  /**
   * Stops listening (a Unix socket file is removed), resets connections nobody accepted,
   * and rejects pending `accept()`s. Accepted sockets stay open (they are the caller's to
   * close). Resolves once the listening handle is closed. Idempotent.
   *
   * A listener owes nobody a flush: `close()` and `destroy()` do the same, `destroy()`
   * synchronously and without a promise.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.destroy();
    // net.Server's close callback waits for every accepted connection to end; the
    // listening handle itself is closed at once, which is all we promise here.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Stops listening at once (see `close()`). Idempotent. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new SocketClosedError('accept', this.#where());
    for (const w of this.#waiters.splice(0)) {
      settled(w);
      w.reject(err);
    }
    for (const { socket } of this.#pending.splice(0)) socket.reset();
    // Nothing will accept the clients still in their TLS handshake.
    if (this.#tls) destroyHandshaking(this.#server);
    this.#server.close();
  }

  /** `close()`, for `await using listener = …`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The client's address, as `admit` and `accept()` give it. */
  #peerOf(raw: net.Socket): PeerAddress {
    return this.#unix
      ? { family: 'unix', path: '' }
      : toPeerAddress(raw.remoteAddress, raw.remotePort, raw.remoteFamily);
  }

  /** TLS, before the handshake: false (and the socket destroyed) when it is not admitted. */
  #admitRaw(raw: net.Socket): boolean {
    if (!this.#closed && (this.#admit === null || this.#admit(this.#peerOf(raw)))) return true;
    raw.destroy();
    return false;
  }

  #onHandshakeFailed(raw: net.Socket, error: Error | null): void {
    // A client that just went away is no failure worth reporting.
    if (error === null || !handshakeChannel.hasSubscribers) return;
    handshakeChannel.publish({ listener: this, address: this.#peerOf(raw), error });
  }

  #onConnection(raw: net.Socket | tls.TLSSocket): void {
    if (this.#closed) {
      raw.destroy();
      return;
    }
    const address = this.#peerOf(raw);
    // TLS sockets were admitted before their handshake (#admitRaw).
    if (!this.#tls && this.#admit !== null && !this.#admit(address)) {
      raw.destroy();
      return;
    }
    const socket = Socket.fromNetSocket(raw, this.#socketOptions);
    const w = this.#waiters.shift();
    if (w !== undefined) {
      settled(w);
      w.resolve({ socket, address });
      return;
    }
    if (this.#pending.length >= this.#maxPending) {
      this.#rejected++;
      if (overflowChannel.hasSubscribers) {
        overflowChannel.publish({ listener: this, address, rejected: this.#rejected });
      }
      socket.reset();
      return;
    }
    this.#pending.push({ socket, address });
  }

  #failOne(err: Error): void {
    const w = this.#waiters.shift();
    if (w === undefined) return;
    settled(w);
    w.reject(err);
  }

  #readAddress(path: string): PeerAddress {
    const a = this.#server.address();
    if (a === null || typeof a === 'string')
      return { family: 'unix', path: typeof a === 'string' ? a : path };
    return toPeerAddress(a.address, a.port, a.family);
  }

  #where(): { address?: string; port?: number; path?: string } {
    const a = this.#address;
    if (a === null) return {};
    return a.family === 'unix' ? { path: a.path } : { address: a.address, port: a.port };
  }
}

/** A waiting `accept()` settles: its timer and abort listener go. */
function settled(w: Waiter): void {
  clearTimeout(w.timer);
  if (w.unlisten !== null) w.unlisten();
}
