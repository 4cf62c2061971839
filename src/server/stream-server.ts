/**
 * The stream half of the server framework: accepting connections (TCP, TLS, Unix),
 * refusing the ones the limits or access lists turn away, running the handler on a
 * socketkit `Socket`, and closing the connection when the handler settles.
 *
 * ```
 *  'connection' ─► access lists ─┬─ deny ─────────────► destroy      (refused: deny)
 *   (TLS: the raw TCP            ├─ full, or over the per-address cap or accept rate
 *    connection, before the      │     ─► "server busy" line, short lingering close
 *    handshake; its handshake    │        (TLS, or too many refusals at once: destroy)
 *    gets handshakeTimeout s)    └─ verifyRequest() ──► submit ─► run:
 *   (proxyProtocol, a trusted proxy: its PROXY header first — proxy-protocol.ts —
 *    and the client it names is the remote from here on)
 *      Socket.fromNetSocket ─► 'connection' channel ─► handler (function, or
 *      setup/handle/finish) ─► lingering close (flush, FIN, discard input until the
 *      client closes; destroy after closeTimeout)
 *      ─► 'close' channel {bytesRead, bytesWritten, durationMs, error?}
 * ```
 * An abrupt disconnect (reset, EOF mid-read, idle timeout) ends the handler with an error
 * that is reported on the `close` channel only: it is normal, not a server failure.
 * @module
 */
import { setMaxListeners } from 'node:events';
import type net from 'node:net';
import {
  ConnectionResetError,
  IncompleteReadError,
  InvalidArgumentError,
  SocketClosedError,
  SocketTimeoutError,
} from '../errors.js';
import { checkPositiveInt, checkSeconds } from '../internal/check-option.js';
import { nextRequestId } from '../internal/request-id.js';
import { isThenable } from '../internal/is-thenable.js';
import { gracefulClose } from '../socket/graceful-close.js';
import { resetConnection } from '../socket/reset-connection.js';
import { checkBacklog, defaultBacklog } from '../socket/backlog.js';
import { Socket, type SocketOptions } from '../socket/tcp-socket.js';
import { destroyHandshaking } from '../socket/tls-server.js';
import { AddressLimits, type AddressLimitOptions } from './address-limits.js';
import { type FdPressureListener, probeFds, unwatchFds, watchFds } from './fd-monitor.js';
import { BaseServer } from './base-server.js';
import type { ConnectionContext, PeerAddress, StreamHandler } from './handler-types.js';
import { IdleSweeper } from '../internal/idle-sweeper.js';
import { type ListenerEvents, type ServerTlsOptions, tlsServerOf } from './listener.js';
import type { ProxyHeader } from '../framing/proxy-header.js';
import { proxiedClient, type ProxyProtocolOptions, ProxyProtocolReader } from './proxy-protocol.js';
import { isHandlerClass, runHandler, StreamRequestHandler } from './request-handler.js';
import { publish, type RefusedMessage, serverChannels } from './server-channels.js';
import type { BaseServerOptions } from './server-options.js';
import { ignoreError } from '../internal/ignore-error.js';

/** A `StreamRequestHandler` subclass. */
export type StreamRequestHandlerClass = new (
  socket: Socket,
  ctx: ConnectionContext,
  // `never`: any handler class fits, whatever type it gives its server parameter.
  server: never,
) => StreamRequestHandler;

/** Options every stream server takes. */
export interface StreamServerBaseOptions extends BaseServerOptions, AddressLimitOptions {
  /** Serves each connection: an async function, or a `StreamRequestHandler` subclass. */
  handler: StreamHandler | StreamRequestHandlerClass;
  /**
   * The listen backlog: connections the kernel completes and queues until the server
   * accepts them. A burst of connects larger than the queue overflows it: the kernel drops
   * the handshakes, and those clients retry after a second or more. Default:
   * `net.core.somaxconn` (the kernel's cap, read from `/proc`) but at most 4096 — Go and
   * Netty default to somaxconn; the bound keeps a full queue, where somaxconn is huge, well
   * under a second of accepts (one process accepts several thousand a second). Where
   * `/proc` cannot be read, 4096 (the kernel caps it at its own limit). Node's own default
   * is 511.
   * An integer from 1 to 2³¹ − 1; the kernel silently caps larger values at somaxconn.
   * See {@link defaultBacklog}.
   */
  backlog?: number;
  /**
   * Open connections at most (default 10 000), TLS connections still in their handshake
   * included. The next client gets the line `server busy: too many connections\r\n` and
   * is closed (a TLS client is closed at once: it cannot read a plain line).
   */
  maxConnections?: number;
  /**
   * TLS: seconds from accept to a completed handshake before the connection is
   * destroyed (default 10). A client that closes before its handshake is freed at once.
   */
  handshakeTimeout?: number;
  /** Seconds without a byte either way before a connection is closed; null (default) = never. */
  idleTimeout?: number | null;
  /** Seconds to flush and close a connection after its handler settled; default 2. */
  closeTimeout?: number;
  /**
   * Accept HAProxy's PROXY protocol (v1 and v2) from the proxies in `trusted`: their
   * connections start with a header naming the real client, which becomes `ctx.remote`
   * (and what the access lists, per-address limits and `verifyRequest` judge); the
   * proxy's own address is `ctx.via`. With `tls`, the header precedes the ClientHello
   * (see docs/server.md).
   */
  proxyProtocol?: ProxyProtocolOptions;
}

/**
 * What every stream server takes, whatever its address: the handler, the limits and TLS.
 * `TcpServerOptions` adds the TCP address and options, `UnixStreamServerOptions` the
 * socket path; neither accepts the other's.
 */
export interface StreamServerOptions extends StreamServerBaseOptions {
  /** Serve TLS instead of plain TCP (or plain Unix). */
  tls?: ServerTlsOptions;
}

/** The line a client gets when the server is full. */
export const BUSY_LINE = 'server busy: too many connections\r\n';

/** The line a client gets when its address has too many connections, or opens them too fast. */
export const ADDRESS_BUSY_LINE = 'server busy: too many connections from your address\r\n';

/**
 * Refused connections that linger at once (to deliver the busy line without a reset);
 * beyond this, a refused connection is destroyed at once. Bounds the descriptors
 * refusals hold, so `maxConnections` bounds them all (issue 10, defect 17).
 */
export const MAX_LINGERING_REFUSALS = 64;

/** Seconds a refused connection may linger (flush the line, wait for the client's FIN). */
const REFUSAL_LINGER = 1;

/** Why a stream client was turned away (see {@link RefusedMessage}). */
export type StreamRefusal = Exclude<RefusedMessage['reason'], 'queueFull'>;

/** One accepted connection: the stream server's request record (see `BaseServer.dispatch`). */
export interface Connection {
  id: number;
  raw: net.Socket;
  socket: Socket | null;
  remote: PeerAddress;
  started: number;
  /** Set when the idle sweeper closed the connection. */
  idleError: SocketTimeoutError | null;
  /** The shutdown signal of this connection's group (see #signalOf). */
  abort: AbortController | null;
  /** True once a 'close' listener watches it while it waits (see requestWaits). */
  watched: boolean;
  /** Its key in the per-address table while counted there (see #forget). */
  key: string | null;
  /** The trusted proxy it came through, and the header it sent (proxyProtocol), or null. */
  via: { peer: PeerAddress; header: ProxyHeader } | null;
}

/** Connections sharing one `ctx.signal` (see StreamServer#signalOf). */
const SIGNAL_GROUP = 32;

/** What TCP, TLS and Unix stream servers share. Not used directly. */
export abstract class StreamServer extends BaseServer implements FdPressureListener {
  readonly #opts: StreamServerBaseOptions;
  readonly #conns = new Map<number, Connection>();
  readonly #sweeper: IdleSweeper | null;
  /** The options of every connection's `Socket`. */
  readonly #socketOptions: SocketOptions;
  #listener: net.Server | null = null;
  /** The signal group new connections join (see #signalOf), and how many joined it. */
  #signalGroup: AbortController | null = null;
  #signalGroupUses = 0;
  /** Per-address connection counts and accept rates. */
  readonly #limits: AddressLimits;
  readonly #maxConnections: number;
  /** TLS connections accepted and counted, whose handshake has not completed yet. */
  #handshaking = 0;
  /** Refused connections lingering to deliver their busy line. */
  #refusing = 0;
  /** Descriptors ran out (see fd-monitor.ts): refusals do not linger meanwhile. */
  #fdPressure = false;
  /** True for a TLS server (refusals cannot be told in plain text before the handshake). */
  readonly #tls: boolean;
  /** The `proxyProtocol` option, checked; null without it. */
  readonly #proxy: ProxyProtocolReader | null;
  /** Connections of trusted proxies whose header is being read, and how to abandon each. */
  readonly #readingHeader = new Map<net.Socket, () => void>();
  /** TLS behind a PROXY header: the client and proxy of each raw socket, until its handshake. */
  readonly #proxiedTls = new WeakMap<net.Socket, { remote: PeerAddress; via: Connection['via'] }>();

  constructor(options: StreamServerBaseOptions) {
    super(options);
    if (typeof options.handler !== 'function') {
      throw new InvalidArgumentError(
        'handler must be an async function (socket, ctx) or a StreamRequestHandler subclass',
      );
    }
    if (options.backlog !== undefined) checkBacklog(options.backlog, 1);
    checkPositiveInt(options.maxConnections, 'maxConnections');
    checkSeconds(options.idleTimeout, 'idleTimeout', true);
    checkSeconds(options.closeTimeout, 'closeTimeout', false);
    checkSeconds(options.handshakeTimeout, 'handshakeTimeout', false);
    if (options.handshakeTimeout === 0) {
      throw new InvalidArgumentError('handshakeTimeout must be more than 0 seconds');
    }
    this.#limits = new AddressLimits(options);
    this.#proxy =
      options.proxyProtocol === undefined ? null : new ProxyProtocolReader(options.proxyProtocol);
    this.#tls = (options as StreamServerOptions).tls !== undefined;
    this.#maxConnections = options.maxConnections ?? 10_000;
    this.#opts = options;
    // One bound for the whole close, lingering included (see Socket.close).
    const closeTimeout = options.closeTimeout ?? 2;
    this.#socketOptions = { closeTimeout, lingerTimeout: closeTimeout };
    const idle = options.idleTimeout ?? null;
    this.#sweeper = idle === null || idle === 0 ? null : new IdleSweeper(idle);
    // Shutdown aborts the server's signal; it passes that on to the connections' groups.
    const serverSignal = this.signal;
    serverSignal.addEventListener(
      'abort',
      () => {
        this.#signalGroup = null;
        for (const conn of this.#conns.values()) conn.abort?.abort(serverSignal.reason);
      },
      { once: true },
    );
  }

  /**
   * Open connections in this process (queued and being handled, and TLS connections
   * still in their handshake).
   */
  get connections(): number {
    return this.#conns.size + this.#handshaking + this.#readingHeader.size;
  }

  /**
   * Bytes read and written so far by the connections open now, from their sockets' own
   * counters (read on call: nothing is counted per chunk). With the `close` channel's
   * totals of the closed ones, a byte count that moves while long connections run
   * (`serve --http` reads it at each scrape and dashboard tick).
   */
  openConnectionBytes(): { read: number; written: number } {
    let read = 0;
    let written = 0;
    for (const conn of this.#conns.values()) {
      read += conn.raw.bytesRead;
      written += conn.raw.bytesWritten;
    }
    return { read, written };
  }

  /** Refused connections still lingering to deliver their busy line (at most {@link MAX_LINGERING_REFUSALS}). */
  get refusing(): number {
    return this.#refusing;
  }

  /** The backlog this server passes to `listen()`: the option, or {@link defaultBacklog}. */
  get listenBacklog(): number {
    return this.#opts.backlog ?? defaultBacklog();
  }

  /** The listen backlog (for subclasses: same as `listenBacklog`). */
  protected get backlogSize(): number {
    return this.listenBacklog;
  }

  /**
   * Creates the `net.Server` (or `tls.Server`) with `createStreamListener(tls, events)`
   * and starts it listening.
   */
  protected abstract createListener(events: ListenerEvents): Promise<net.Server>;

  /** Called per accepted socket before anything else (TCP applies `noDelay`). */
  protected prepareSocket(_raw: net.Socket): void {}

  protected async bind(): Promise<void> {
    this.#listener = await this.createListener({
      onConnection: (socket, raw) => this.#onConnection(socket, raw),
      onRawConnection: (raw) => this.#onRawConnection(raw),
      onAbandoned: (raw, error) => this.#onAbandoned(raw, error),
      onError: (error, phase) => this.reportError(error, { phase }),
      ...(this.#opts.handshakeTimeout !== undefined
        ? { handshakeTimeout: this.#opts.handshakeTimeout }
        : {}),
      ...(this.#proxy !== null
        ? { beforeTls: (raw, startTls) => this.#beforeTls(raw, startTls) }
        : {}),
    });
    watchFds(this);
  }

  /** Called by the descriptor monitor: descriptors ran out (true) or are back (false). */
  fdPressure(exhausted: boolean): void {
    this.#fdPressure = exhausted;
  }

  /**
   * An error of the listening socket after it listens. EMFILE/ENFILE (descriptors ran
   * out) go to the descriptor monitor, which reports them once, not once per client.
   */
  protected acceptError(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'EMFILE' || code === 'ENFILE') probeFds();
    else this.reportError(error, { phase: 'accept' });
  }

  /** The listening `net.Server` (an escape hatch); null before `listen()`. */
  get raw(): net.Server | null {
    return this.#listener;
  }

  /**
   * Accepts what the kernel already queued, then closes the listening socket. Closing it
   * at once would make the kernel reset every connection still in the accept queue —
   * clients whose connect() had succeeded. So the event loop turns until a whole turn
   * accepted nothing (a turn's poll phase sees the listening socket readable while the
   * queue holds a connection; Node may take only one per turn), at most one turn per
   * backlog slot; those connections are served like the others (`admitting` holds until
   * the drain ends). `destroy()` (no drain) skips this: it would reset them anyway.
   */
  protected async stopAccepting(acceptQueued: boolean): Promise<void> {
    const listener = this.#listener;
    if (listener === null) return;
    if (acceptQueued) await this.#acceptQueued(listener);
    // close() stops listening at once; its callback waits for connections, which we
    // track ourselves, so do not wait for it.
    await new Promise<void>((resolve) => {
      listener.close(() => {});
      setImmediate(resolve);
    });
  }

  /** Turns the event loop until a turn accepted nothing (see stopAccepting). */
  async #acceptQueued(listener: net.Server): Promise<void> {
    let accepted = 0;
    const count = (): void => {
      accepted++;
    };
    listener.on('connection', count);
    try {
      for (let turn = 0; turn <= this.listenBacklog; turn++) {
        const before = accepted;
        await nextTurn();
        if (accepted === before) break;
      }
    } finally {
      listener.off('connection', count);
    }
  }

  /**
   * The drain is over: every connection still open is cut with a reset (see
   * `resetConnection`), so a client whose reply was not finished sees an error, never a
   * clean end. One that already got our FIN (its handler settled and everything reached
   * the kernel) is closed without a reset: the kernel delivers what it holds.
   */
  protected destroyActive(): number {
    let n = this.#listener === null ? 0 : destroyHandshaking(tlsServerOf(this.#listener));
    for (const [raw, abandon] of this.#readingHeader) {
      n++;
      abandon();
      resetConnection(raw);
    }
    this.#readingHeader.clear();
    for (const conn of this.#conns.values()) {
      n++;
      if (conn.socket !== null) conn.socket.reset();
      else resetConnection(conn.raw);
    }
    return n;
  }

  protected override async cleanup(): Promise<void> {
    unwatchFds(this);
    this.#sweeper?.stop();
  }

  /**
   * Turns a client away. A deny destroys at once; the other refusals say why in one line
   * first, with a short lingering close — unless the connection is a TLS one still
   * before its handshake (it cannot read a plain line) or {@link MAX_LINGERING_REFUSALS}
   * refusals linger already: then it is destroyed at once, so refusals cannot hold more
   * than a few descriptors whatever the rate of clients.
   */
  protected refuse(
    raw: net.Socket,
    remote: PeerAddress,
    reason: StreamRefusal,
    tell: boolean = true,
  ): void {
    publish(serverChannels.refused, () => ({ remote, reason, server: this }));
    if (
      reason === 'deny' ||
      !tell ||
      this.#fdPressure ||
      this.#refusing >= MAX_LINGERING_REFUSALS
    ) {
      raw.destroy();
      return;
    }
    // The socket layer's lingering close: the line, FIN, then discard what the client
    // sends until it closes (unread data would make the kernel send RST, and the client
    // might lose the line before reading it); at most REFUSAL_LINGER s in all.
    this.#refusing++;
    raw.on('data', () => {});
    raw.write(reason === 'maxConnections' ? BUSY_LINE : ADDRESS_BUSY_LINE);
    void gracefulClose(raw, { closeTimeout: REFUSAL_LINGER, linger: REFUSAL_LINGER }).closed.then(
      () => {
        this.#refusing--;
      },
    );
  }

  /**
   * The admission every new connection passes before anything is read from it: the
   * server listening, the access lists, the per-address cap and accept rate, and
   * `maxConnections`. Returns the client's address and its per-address key (counted:
   * see #forget), or null when it was refused (and closed).
   * @param tell false for a TLS connection before its handshake: no busy line.
   * @param proxied the client a trusted proxy's header named (its 'error' listener is on).
   */
  #admit(
    raw: net.Socket,
    tell: boolean,
    proxied?: PeerAddress,
  ): { remote: PeerAddress; key: string | null } | null {
    // First of all: an 'error' without a listener would crash the process. (The Socket
    // wrapper listens for 'error' itself: serveRequest removes this one then.)
    if (proxied === undefined) raw.on('error', onUnwrappedError);
    const remote = proxied ?? this.remoteOf(raw);
    if (!this.admitting) {
      resetConnection(raw);
      return null;
    }
    if (!this.access.permits(remote)) {
      this.refuse(raw, remote, 'deny');
      return null;
    }
    if (this.#conns.size + this.#handshaking + this.#readingHeader.size >= this.#maxConnections) {
      this.refuse(raw, remote, 'maxConnections', tell);
      return null;
    }
    const key = this.#limits.keyOf(remote);
    if (key !== null) {
      const refusal = this.#limits.admit(key);
      if (refusal !== null) {
        this.refuse(raw, remote, refusal, tell);
        return null;
      }
    }
    return { remote, key };
  }

  /** TLS: a TCP connection before its handshake; counted from now on. */
  #onRawConnection(raw: net.Socket): boolean {
    if (this.#admit(raw, false, this.#proxiedTls.get(raw)?.remote) === null) return false;
    this.#handshaking++;
    return true;
  }

  /** TLS: a counted connection gone before its handshake completed. */
  #onAbandoned(raw: net.Socket, error: Error | null): void {
    this.#handshaking--;
    const remote = this.#proxiedTls.get(raw)?.remote ?? this.remoteOf(raw);
    const key = this.#limits.keyOf(remote);
    if (key !== null) this.#limits.release(key);
    // A client that hung up is no error; a failed or timed-out handshake is reported.
    if (error !== null) this.reportError(error, { phase: 'tls-handshake', remote });
  }

  /** Uncounts a connection: the table, and its address's count. Idempotent. */
  #forget(conn: Connection): void {
    this.#conns.delete(conn.id);
    if (conn.key !== null) {
      this.#limits.release(conn.key);
      conn.key = null;
    }
  }

  #onConnection(socket: net.Socket, raw: net.Socket): void {
    let remote: PeerAddress;
    let key: string | null;
    let via: Connection['via'] = null;
    if (socket === raw) {
      if (this.#proxy !== null && this.#readProxyHeader(raw, this.#proxy)) return;
      const admitted = this.#admit(raw, true);
      if (admitted === null) return;
      ({ remote, key } = admitted);
    } else {
      // TLS, handshake done: admitted and counted as #handshaking since the accept.
      this.#handshaking--;
      socket.on('error', onUnwrappedError);
      // From the TCP socket: it cached its peer's address at admission (a client gone
      // meanwhile has none any more), so the same per-address key is released; behind a
      // PROXY header, the client it named.
      const proxied = this.#proxiedTls.get(raw);
      remote = proxied?.remote ?? this.remoteOf(raw);
      via = proxied?.via ?? null;
      key = this.#limits.keyOf(remote);
      if (!this.admitting) {
        if (key !== null) this.#limits.release(key);
        resetConnection(socket);
        return;
      }
    }
    this.#start(socket, remote, key, via);
  }

  /**
   * TLS with proxyProtocol: a raw connection, before the TLS server sees it. A trusted
   * proxy's PROXY header is read first (the ClientHello follows it); then the TLS server
   * takes the connection, admitted as the client the header named.
   */
  #beforeTls(raw: net.Socket, startTls: () => void): void {
    const reader = this.#proxy;
    if (
      reader === null ||
      !this.#readProxyHeader(raw, reader, (remote, via) => {
        this.#proxiedTls.set(raw, { remote, via });
        startTls();
      })
    ) {
      startTls();
    }
  }

  /**
   * A connection from a trusted proxy (returns false for any other peer): counted
   * against maxConnections while its PROXY header is read (proxy-protocol.ts), then
   * admitted as the client the header names. A bad or late header closes it, reported
   * with phase `proxy-header`.
   */
  #readProxyHeader(
    raw: net.Socket,
    reader: ProxyProtocolReader,
    then: (remote: PeerAddress, via: Connection['via']) => void = (remote, via) => {
      const admitted = this.#admit(raw, true, remote);
      if (admitted !== null) this.#start(raw, admitted.remote, admitted.key, via);
    },
  ): boolean {
    const peer = this.remoteOf(raw);
    if (!reader.trusts(peer)) return false;
    raw.on('error', onUnwrappedError);
    if (!this.admitting) {
      resetConnection(raw);
      return true;
    }
    if (this.#conns.size + this.#handshaking + this.#readingHeader.size >= this.#maxConnections) {
      // A TLS client (a `then` of #beforeTls) could not read the busy line.
      this.refuse(raw, peer, 'maxConnections', !this.#tls);
      return true;
    }
    const abandon = reader.read(raw, peer, (outcome) => {
      this.#readingHeader.delete(raw);
      if ('error' in outcome) {
        raw.destroy();
        if (outcome.error !== null)
          this.reportError(outcome.error, { phase: 'proxy-header', remote: peer });
        return;
      }
      const header = outcome.header;
      then(proxiedClient(header, peer), header === null ? null : { peer, header });
    });
    this.#readingHeader.set(raw, abandon);
    return true;
  }

  #start(raw: net.Socket, remote: PeerAddress, key: string | null, via: Connection['via']): void {
    this.prepareSocket(raw);
    const conn: Connection = {
      id: nextRequestId(),
      raw,
      socket: null,
      remote,
      started: Date.now(),
      idleError: null,
      abort: null,
      watched: false,
      key,
      via,
    };
    this.#conns.set(conn.id, conn);
    this.dispatch(conn, remote);
  }

  /**
   * A client that vanishes while its request waits (for verifyRequest, serveForever or a
   * concurrency slot) must not hold a slot. Watched only while it waits: most requests
   * start at once, and removing the listener again would turn the net.Socket's listener
   * table into a slow dictionary.
   */
  protected override requestWaits(conn: Connection): void {
    if (conn.watched || conn.socket !== null) return;
    conn.watched = true;
    conn.raw.on('close', () => {
      if (conn.socket === null) this.#forget(conn);
    });
  }

  protected refuseRequest(conn: Connection): void {
    this.#forget(conn);
    this.refuse(conn.raw, conn.remote, 'deny');
  }

  protected override discardRequest(conn: Connection): void {
    this.#forget(conn);
    resetConnection(conn.raw); // accepted but never served: an error, not a clean end
  }

  protected requestFailed(conn: Connection, error: unknown, phase: 'accept' | 'handler'): void {
    this.#forget(conn);
    conn.raw.destroy();
    this.reportError(error, { phase, id: conn.id, remote: conn.remote });
  }

  /**
   * The `ctx.signal` of a connection: the signal of a group of up to {@link SIGNAL_GROUP}
   * consecutive connections, aborted with the server's.
   *
   * Not the server's one signal: an `EventTarget` compares a new listener with every
   * listener it holds (and so does removing one), so with thousands of connections each
   * adding an `'abort'` listener to one signal, every accept and close cost time in
   * proportion to the connections open — and past 10 listeners Node printed a
   * MaxListenersExceededWarning. Not one signal per connection either: an `AbortSignal`
   * weighs about 600 bytes. A group bounds both, and a group's signal (with any listener a
   * handler forgot to remove) is freed with the last of its connections.
   */
  #signalOf(conn: Connection): AbortSignal {
    if (conn.abort === null) {
      const serverSignal = this.signal;
      // Already shutting down: the server's (aborted) signal.
      if (serverSignal.aborted) return serverSignal;
      if (this.#signalGroup === null || this.#signalGroupUses >= SIGNAL_GROUP) {
        this.#signalGroup = new AbortController();
        // Each of the group's handlers may add a listener or two: that is no leak.
        setMaxListeners(0, this.#signalGroup.signal);
        this.#signalGroupUses = 0;
      }
      this.#signalGroupUses++;
      conn.abort = this.#signalGroup;
    }
    return conn.abort.signal;
  }

  /** The client's address as a `PeerAddress`. */
  protected abstract remoteOf(raw: net.Socket): PeerAddress;

  /**
   * Serves one connection (in its concurrency slot): wraps it, runs the handler, then
   * closes it. A promise chain,
   * not an async function: a connection held idle for minutes then costs one pending
   * reaction instead of a suspended function frame (this is per-connection memory).
   */
  protected serveRequest(conn: Connection): void | Promise<void> {
    const { raw, remote, id } = conn;
    if (raw.destroyed) {
      this.#forget(conn);
      return;
    }
    const socket = Socket.fromNetSocket(raw, this.#socketOptions);
    conn.socket = socket;
    // The Socket listens for 'error' now; one listener fewer per connection.
    raw.off('error', onUnwrappedError);
    const transport = this.transport as 'tcp' | 'tls' | 'unix';
    // A plain object of data properties: V8 keeps it compact (a getter here would make
    // it a dictionary, about 450 bytes more per connection).
    const via = conn.via;
    const ctx: ConnectionContext =
      via === null
        ? { remote, local: this.address, transport, signal: this.#signalOf(conn), id }
        : {
            remote,
            local: this.address,
            transport,
            signal: this.#signalOf(conn),
            id,
            via: via.peer,
            proxyHeader: via.header,
          };
    publish(serverChannels.connection, () => ({
      id,
      remote,
      transport,
      server: this,
      ...(via !== null ? { via: via.peer } : {}),
    }));
    this.#sweeper?.add(conn, raw, () => {
      conn.idleError = new SocketTimeoutError(
        'idle connection',
        this.#opts.idleTimeout ?? 0,
        whereOf(remote),
      );
      socket.destroy(conn.idleError);
    });
    let running: Promise<void> | void;
    try {
      const handler = this.#opts.handler;
      running = isHandlerClass(handler, StreamRequestHandler)
        ? runHandler(new (handler as StreamRequestHandlerClass)(socket, ctx, this as never))
        : (handler as StreamHandler)(socket, ctx);
    } catch (err) {
      return this.#settle(conn, socket, { failed: err });
    }
    // A handler that returned no promise (or thenable) is done already.
    if (!isThenable(running)) {
      return this.#settle(conn, socket, null);
    }
    return Promise.resolve(running).then(
      () => this.#settle(conn, socket, null),
      (err: unknown) => this.#settle(conn, socket, { failed: err }),
    );
  }

  /**
   * After the handler: reports its error (an abrupt disconnect is no error), closes the
   * connection and publishes its end.
   */
  async #settle(
    conn: Connection,
    socket: Socket,
    outcome: { failed: unknown } | null,
  ): Promise<void> {
    const { raw, remote, id } = conn;
    let error: Error | undefined;
    try {
      if (outcome !== null) {
        const err = outcome.failed;
        error = err instanceof Error ? err : new Error(String(err));
        if (!isDisconnect(err) && conn.idleError === null && !socket.closed) {
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
      }
    } finally {
      this.#sweeper?.delete(conn);
      // A lingering close (Socket.close): flush, FIN, discard input until the client
      // closes too or closeTimeout passes, so the client never loses the reply's end.
      await socket.close({ wait: true }).catch(ignoreError('server:linger-close'));
      this.#forget(conn);
      // A handler serving `raw` directly (echo) just sees 'close': name the real cause.
      if (conn.idleError !== null) error = conn.idleError;
      publish(serverChannels.close, () => ({
        id,
        remote,
        bytesRead: raw.bytesRead,
        bytesWritten: raw.bytesWritten,
        durationMs: Date.now() - conn.started,
        server: this,
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

/**
 * Resolves after one full turn of the event loop, its poll phase included: an immediate
 * queued from an immediate runs on the next turn.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * The 'error' listener of a connection not yet wrapped: it must not crash the process (a
 * connection refused before it is wrapped is closed; a wrapped one reports its errors).
 */
const onUnwrappedError = ignoreError('server:unwrapped-socket-error');

function whereOf(remote: PeerAddress): { address?: string; port?: number; path?: string } {
  return remote.family === 'unix'
    ? { path: remote.path }
    : { address: remote.address, port: remote.port };
}
