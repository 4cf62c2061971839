/**
 * `Socket`: a TCP (IPv4/IPv6), TLS or Unix stream socket with Python's blocking-socket
 * API, as promises, on top of `net.Socket`.
 *
 * ```
 *  StreamConnection ─onData─► ReceiveBuffer (one ByteQueue) ─► recv / recvExactly / recvUntil
 *      ▲  pauseReading/resumeReading  │                         frames (FrameReader) / iteration
 *      └──── at highWaterMark ────────┘                         readable() view
 *  send / sendAll / sendFrame / writable() ─► SendPath ─► write() + 'drain'
 * ```
 *
 * Blocking modes follow Python's `settimeout` (named `setOperationTimeout` here: Node's
 * `net.Socket.setTimeout(ms)` is an idle timer, a different thing in another unit):
 * - `setOperationTimeout(null)` (default): operations wait as long as needed;
 * - `setOperationTimeout(s)` with `s > 0`: an operation that waits longer rejects with
 *   `SocketTimeoutError`;
 * - `setOperationTimeout(0)` = `setBlocking(false)`: an operation that would wait rejects
 *   at once with `WouldBlockError`; `connect` rejects with `WouldBlockError` (errno
 *   `EINPROGRESS`) while the connection carries on, like Python's `BlockingIOError`.
 *
 * Every operation that waits takes `{ signal }` last: an `AbortSignal` that makes it
 * reject with `signal.reason` (internal/abort-signal.ts). An aborted read takes nothing:
 * the next read gets the bytes.
 * @module
 */
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Readable, Writable } from 'node:stream';
import * as tls from 'node:tls';
import {
  type ErrorAddress,
  InvalidArgumentError,
  InvalidStateError,
  NotConnectedError,
  SocketClosedError,
  SocketkitError,
  WouldBlockError,
} from '../errors.js';
import type { Decoder, Encoder } from '../framing/codec.js';
import {
  type AbortOptions,
  checkSignal,
  raceAbort,
  throwIfAborted,
} from '../internal/abort-signal.js';
import {
  type AddressLike,
  checkAddress,
  errorWhere,
  isUnixAddress,
  type PeerAddress,
  type SocketAddress,
  toPeerAddress,
} from './address.js';
import { detectFamily, handleFd } from './net-internals.js';
import { openConnection } from './open-connection.js';
import { checkPinnedPeer, pinnedConnectOptions } from './tls-pin.js';
import { ReceivePath } from './receive-path.js';
import { SendPath } from './send-path.js';
import {
  type CloseOptions,
  type ConnectOptions,
  checkSocketOptions,
  type RecvUntilOptions,
  type SocketOptions,
  type StartTlsOptions,
  type StreamOptionName,
  StreamOptions,
} from './socket-options.js';
import { type DataConsumer, type DataOptions, StreamConnection } from './stream-connection.js';
import { writableView } from './stream-views.js';
import { checkTimeout, socketWait, waitForEvent } from './wait.js';
import { ignoreError } from '../internal/ignore-error.js';

// The contract names these types here too; their home is address.ts / socket-options.ts.
export type { AddressInfo, AddressLike, TcpAddress, UnixAddress } from './address.js';
export type {
  AbortOptions,
  CloseOptions,
  ConnectOptions,
  PeerAddress,
  RecvUntilOptions,
  SocketAddress,
  SocketOptions,
  StartTlsOptions,
};

/**
 * What a closed socket's receive buffer is aborted with when no read waits: nobody can
 * see it, since every later read is refused first (`unreadable`) with an error of its own.
 * Spares each close the cost of an error object and its stack trace.
 */
const UNSEEN_CLOSE = new SocketClosedError('recv');

/** The outcome of a connect nobody awaits (non-blocking): dropped, one shared handler. */
const connectUnawaited = ignoreError('socket:connect-unawaited');

/** The refusal of a read once `onData()` took the connection in push mode. */
function pushModeError(op: string): InvalidStateError {
  return new InvalidStateError(
    `cannot ${op}: the connection is in push mode (onData() takes its bytes)`,
  );
}

/**
 * A promise-based stream socket.
 *
 * @example
 * ```ts
 * const sock = await Socket.createConnection({ host: '127.0.0.1', port: 7 }, { timeout: 5 });
 * await sock.sendAll('hello\n');
 * const line = await sock.recvUntil('\n');
 * await sock.close();
 * ```
 */
export class Socket extends StreamConnection implements AsyncIterable<Buffer>, AsyncDisposable {
  // The receive and send paths and the options are made on first use: a server's handler
  // that serves the connection in push mode (echo, chat: `onData`) never needs them, and
  // each accepted connection would otherwise carry them (about 1.5 KB).
  #in: ReceivePath | null = null;
  #out: SendPath | null = null;
  #options: StreamOptions | null = null;
  readonly #highWaterMark: number;
  #family: 'IPv4' | 'IPv6' | 'unix' | undefined;
  #timeout: number | null;
  #remote: SocketAddress | undefined;
  #connecting: Promise<void> | null = null;
  /** True once the receive buffer is the consumer of the connection's bytes. */
  #reading = false;
  /** True once `onData()` took the connection in push mode: reads are refused. */
  #push = false;
  /** The `startTls` handshake in progress: sends wait for it. */
  #securing: Promise<void> | null = null;
  /** An `endWriting()` made during a handshake, waiting for its outcome. */
  #endPending = false;

  /**
   * Creates an unconnected socket; call `connect()` next.
   * @throws {InvalidArgumentError} for a bad option.
   */
  constructor(options: SocketOptions = {}) {
    const checked = checkSocketOptions(options);
    super(checked);
    this.#family = checked.family;
    this.#timeout = checked.timeout;
    this.#highWaterMark = checked.highWaterMark;
  }

  /** The receive path, made on first use with what the socket reported until then. */
  #input(): ReceivePath {
    if (this.#in !== null) return this.#in;
    const input = new ReceivePath(this.#highWaterMark, {
      unreadable: (op) => {
        if (this.closed) return new SocketClosedError(op, this.where());
        if (this.#push) return pushModeError(op);
        return this.socket === null ? new NotConnectedError(op) : null;
      },
      timeout: () => this.#timeout,
      where: () => this.where(),
      startReading: () => this.#startReading(),
    });
    this.#in = input;
    const buffer = input.buffer;
    if (this.closed) buffer.abort(UNSEEN_CLOSE);
    const failed = this.inputFailure;
    if (failed !== null) buffer.fail(failed);
    if (this.inputEnded) buffer.end();
    return input;
  }

  /** The send path, made on first use. */
  #output(): SendPath {
    this.#out ??= new SendPath({
      socket: () => this.socket,
      checkOpen: (op) => {
        if (this.closed) throw new SocketClosedError(op, this.where());
      },
      timeout: () => this.#timeout,
      connected: () => this.#connecting ?? Promise.resolve(),
      where: () => this.where(),
      error: () => this.failure,
    });
    return this.#out;
  }

  /** The net.Socket said EOF or closed: reads see EOF once the queue is drained. */
  protected override onInputEnd(): void {
    this.#in?.buffer.end();
  }

  /** The net.Socket failed: reads reject with the error once the queue is drained. */
  protected override onInputError(err: SocketkitError): void {
    this.#in?.buffer.fail(err);
  }

  /**
   * Connects to `address`, trying every address the host name resolves to (Python's
   * `socket.create_connection`). `signal` aborts the attempt (it rejects with
   * `signal.reason`).
   * @throws {ConnectError} (`ConnectionRefusedError`, …), `SocketTimeoutError`, `HostNotFoundError`.
   */
  static async createConnection(
    address: AddressLike,
    options: ConnectOptions & SocketOptions = {},
  ): Promise<Socket> {
    const sock = new Socket(options);
    try {
      await sock.connect(address, options);
    } catch (err) {
      sock.destroy();
      throw err;
    }
    return sock;
  }

  /**
   * Wraps an already-connected `net.Socket` or `tls.TLSSocket` (what a server accepts).
   * socketkit takes it over: it sets `allowHalfOpen` so that the peer's EOF does not end
   * our side, and reads through its own buffer from now on.
   * @throws {InvalidArgumentError} if another `Socket` already wraps it.
   */
  static fromNetSocket(sock: net.Socket, options: SocketOptions = {}): Socket {
    const s = new Socket(options);
    s.#family ??= detectFamily(sock);
    s.#adopt(sock);
    if (sock.connecting) s.#connecting = s.#waitConnected(sock, 'connect', s.#timeout);
    return s;
  }

  /**
   * A socket from an open file descriptor (Python's `socket.fromfd`), e.g. one inherited
   * from a parent process. Linux/libuv: the fd must be a connected stream socket that
   * libuv does not already manage (a second wrapper of a live socket fails with EEXIST).
   */
  static fromFd(fd: number, options: SocketOptions = {}): Socket {
    if (!Number.isInteger(fd) || fd < 0) {
      throw new InvalidArgumentError(`fd must be a non-negative integer, got ${String(fd)}`);
    }
    const sock = new net.Socket({ fd, readable: true, writable: true, allowHalfOpen: true });
    return Socket.fromNetSocket(sock, options);
  }

  // ── connecting ──────────────────────────────────────────────────────────────────

  /**
   * Connects to `address`. On a non-blocking socket it rejects at once with
   * `WouldBlockError` (errno `EINPROGRESS`) while the connection carries on; call
   * `connect` again in blocking mode, or `connectEx`, to learn how it went. Calling it
   * on a connected socket does nothing (Python raises `EISCONN`). `options.signal`
   * aborts the attempt it starts (the connection is destroyed, as after a failed
   * connect), or only this call's wait when an attempt was already in progress.
   * @throws {ConnectError}, `ConnectionRefusedError`, `SocketTimeoutError`, `HostNotFoundError`, `WouldBlockError`.
   */
  async connect(address: AddressLike, options: ConnectOptions = {}): Promise<void> {
    const target = checkAddress(address);
    const signal = checkSignal(options.signal);
    // A malformed pin is refused before anything starts.
    const tls = options.tls ? pinnedConnectOptions(options.tls) : null;
    if (signal?.aborted === true) throw signal.reason;
    if (this.closed) throw new SocketClosedError('connect', errorWhere(target));
    if (this.#family !== undefined && (this.#family === 'unix') !== isUnixAddress(target)) {
      throw new InvalidArgumentError(
        `a ${this.#family} socket cannot connect to ${isUnixAddress(target) ? 'a Unix path' : 'a host and port'}`,
      );
    }
    const timeout = options.timeout === undefined ? this.#timeout : checkTimeout(options.timeout);
    if (this.#connecting === null) {
      const current = this.socket;
      if (current !== null) {
        // A finished attempt: report how it ended (a failed socket cannot be reused).
        if (this.failure !== null) throw this.failure;
        if (current.destroyed) throw new SocketClosedError('connect', this.where());
        return;
      }
      if (isUnixAddress(target)) this.#family = 'unix';
      const sock = openConnection(target, {
        ...options,
        tls: tls?.options,
        family: this.#family,
      });
      this.#remote = target;
      this.#adopt(sock);
      this.#connecting = this.#waitConnected(
        sock,
        tls !== null ? 'secureConnect' : 'connect',
        timeout,
        signal,
        tls?.pin ?? null,
      );
    } else if (timeout === 0) {
      throw new WouldBlockError('connect', { ...errorWhere(target), errno: 'EALREADY' });
    } else if (signal !== undefined) {
      // Someone else's attempt: the signal aborts this wait only.
      await raceAbort(this.#connecting, signal);
      return;
    }
    if (timeout === 0) {
      throw new WouldBlockError('connect', { ...errorWhere(target), errno: 'EINPROGRESS' });
    }
    await this.#connecting;
  }

  /**
   * Like `connect` but resolves to `0` on success or to the errno string (`ECONNREFUSED`,
   * `ETIMEDOUT`, `EINPROGRESS`, `EALREADY`, …) instead of rejecting (Python's `connect_ex`).
   * An abort is no errno: it still rejects with `signal.reason`.
   */
  async connectEx(address: AddressLike, options: ConnectOptions = {}): Promise<number | string> {
    try {
      await this.connect(address, options);
      return 0;
    } catch (err) {
      if (options.signal?.aborted === true && err === options.signal.reason) throw err;
      const e = err as { errno?: unknown; code?: unknown };
      if (typeof e.errno === 'string') return e.errno;
      return typeof e.code === 'string' ? e.code : 'EIO';
    }
  }

  /**
   * Starts TLS on this open connection (STARTTLS; a proxy's tunnel, as
   * `connectThroughProxy({ tls })` does): the handshake runs over the connected stream,
   * and from then on every read and write of this same socket goes through TLS. The
   * server's certificate is verified as `connect`'s TLS verifies it: against the system
   * CAs or `tls.ca`, for `options.host` (default: the host connected to), unless
   * `tls.rejectUnauthorized` is false, or `tls.fingerprint256` pins it instead (the same
   * check as `connect`'s: a mismatch rejects with `TlsFingerprintError` and closes the
   * connection before any byte of ours is sent). Bytes received in plain text and not
   * read yet are refused, never handed to TLS or read later as if protected (the
   * STARTTLS injection of CVE-2011-0411): read what the protocol expects first. A failed or aborted
   * handshake destroys the connection. On a non-blocking socket it rejects at once with
   * `WouldBlockError` (errno `EINPROGRESS`) while the handshake carries on. Reads and
   * sends made meanwhile wait for it (a send is never handed to TLS before the
   * certificate was checked), and reject with its failure.
   * @throws {ConnectError} the handshake failed; a refused certificate keeps OpenSSL's
   *   or Node's code in `errno` (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`)
   *   and the original error in `cause`, as `connect` with `tls` reports it.
   * @throws {TlsFingerprintError} the certificate is not the one `tls.fingerprint256` pins.
   * @throws {InvalidArgumentError} a malformed `tls.fingerprint256`, before the handshake.
   * @throws {SocketTimeoutError} the handshake took longer than `timeout`.
   * @throws {ConnectionResetError} the peer closed the connection during the handshake.
   * @throws {InvalidStateError} not an open plain connection (still connecting, already
   *   TLS, our side shut, the peer's side ended), or plain-text bytes are unread.
   */
  async startTls(options: StartTlsOptions = {}): Promise<void> {
    const signal = checkSignal(options.signal);
    // A malformed pin is refused before anything changes on the wire (as in connect).
    const pinned = pinnedConnectOptions(options.tls ?? {});
    if (signal?.aborted === true) throw signal.reason;
    if (this.closed) throw new SocketClosedError('startTls', this.where());
    const current = this.socket;
    if (current === null) throw new NotConnectedError('startTls');
    if (this.#connecting !== null) {
      throw new InvalidStateError('cannot start TLS while connecting: await connect() first');
    }
    if (this.failure !== null) throw this.failure;
    const refuse = (why: string): InvalidStateError =>
      new InvalidStateError(`cannot start TLS: ${why}`);
    if ((current as tls.TLSSocket).encrypted === true)
      throw refuse('the connection is TLS already');
    if (current.writableEnded) throw refuse("our sending side is shut (shutdown('write'))");
    if (this.inputEnded || current.destroyed) throw refuse('the peer closed the connection');
    const unread = this.receivedAmount + current.readableLength;
    if (unread > 0) {
      throw refuse(
        `${unread} bytes received in plain text before the handshake are unread (read them first)`,
      );
    }
    const timeout = options.timeout === undefined ? this.#timeout : checkTimeout(options.timeout);
    const remote = this.#remote;
    // An empty host connected to means localhost (as in Python).
    const connectedTo =
      remote === undefined || isUnixAddress(remote)
        ? undefined
        : remote.host === ''
          ? 'localhost'
          : remote.host;
    const host = options.host ?? connectedTo;
    if (host !== undefined && (typeof host !== 'string' || host === '')) {
      throw new InvalidArgumentError('host must be a non-empty string');
    }
    const tlsOptions = pinned.options;
    let secure: net.Socket;
    try {
      secure = this.handOver((sock) =>
        tls.connect({
          // SNI needs a host name, never an IP literal (as openConnection).
          servername: host !== undefined && net.isIP(host) === 0 ? host : undefined,
          ...tlsOptions,
          socket: sock,
          // What the certificate is checked against (with no servername): without it Node
          // would take the host `sock` connected to, which through a proxy is the proxy.
          ...(host === undefined ? {} : { host }),
        }),
      );
    } catch (err) {
      // Node refused the options (an unreadable `ca`, …): nothing changed on the wire.
      if (err instanceof SocketkitError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new InvalidArgumentError(`startTls: bad tls options: ${reason}`, { cause: err });
    }
    // The pin is checked where connect checks it: on 'secureConnect', before a send
    // queued meanwhile (#securing) is handed to TLS.
    const securing = this.#waitConnected(secure, 'secureConnect', timeout, signal, pinned.pin);
    this.#connecting = securing;
    this.#securing = securing;
    securing
      .finally(() => {
        if (this.#securing === securing) this.#securing = null;
      })
      .catch(ignoreError('socket:start-tls-unawaited'));
    if (timeout === 0) {
      throw new WouldBlockError('startTls', { ...this.where(), errno: 'EINPROGRESS' });
    }
    await this.#connecting;
  }

  /** True while a connection attempt is in progress. */
  get connecting(): boolean {
    return this.#connecting !== null;
  }

  #waitConnected(
    sock: net.Socket,
    event: string,
    timeout: number | null,
    signal?: AbortSignal,
    pin: Buffer | null = null,
  ): Promise<void> {
    const where = (): ErrorAddress => this.where();
    const wait = socketWait('connect', timeout, where, undefined, signal);
    // Two promises per attempt (a server's relay makes thousands a second): the wait and
    // its outcome, which also ends the attempt (#connecting) before anyone awaiting it runs.
    const settled = waitForEvent(sock, event, wait).then(
      () => {
        this.#connecting = null;
        // A pinned certificate is checked here, in the turn of 'secureConnect': nobody
        // awaiting connect() has run yet, so no byte of ours was written.
        const mismatch = pin === null ? null : checkPinnedPeer(sock as TLSSocket, pin, where());
        if (mismatch !== null) {
          sock.destroy();
          this.recordError(mismatch);
          throw mismatch;
        }
        this.#options?.apply(sock, this.#family === 'unix');
      },
      (err: unknown) => {
        this.#connecting = null;
        sock.destroy();
        // An abort is not the connection's failure: a later connect says "closed".
        if (!(signal?.aborted === true && err === signal.reason)) {
          this.recordError(err as SocketkitError);
        }
        throw err;
      },
    );
    // A non-blocking caller may never await the outcome: never let it go unhandled.
    settled.catch(connectUnawaited);
    return settled;
  }

  /** Takes over a `net.Socket` (see `StreamConnection.attach`). */
  #adopt(sock: net.Socket): void {
    // No 'data' listener here: the first read makes the receive buffer the consumer
    // (#startReading), so a handler that serves the connection in push mode (`onData`)
    // pays nothing for our buffer.
    this.attach(sock);
    if (!sock.connecting && !sock.destroyed) this.#options?.apply(sock, this.#family === 'unix');
  }

  /** Makes the receive buffer the consumer of the connection's bytes, once (the first read). */
  #startReading(): void {
    if (this.#reading || this.socket === null) return;
    this.#reading = true;
    this.#input().buffer.attach(this);
    this.setConsumer(Socket.#toBuffer);
  }

  /** The receive buffer's consumer: one shared function, no closure per socket. */
  static #toBuffer(this: void, chunk: Buffer, conn: StreamConnection): void {
    (conn as Socket).#in?.buffer.push(chunk);
  }

  /** What `shutdown('read')` leaves reading: bytes are drained from the kernel and dropped. */
  static #discard(this: void): void {}

  /**
   * Hands the connection's bytes to `consumer` in push mode (see `StreamConnection`):
   * bytes already received into this socket's buffer (by an earlier `recv*`) come first,
   * synchronously, so switching from reads to push mode never loses or reorders a byte.
   */
  override onData(consumer: DataConsumer, options?: DataOptions): Promise<void> {
    // From now on the buffer takes no bytes and no longer flow-controls the connection;
    // a read (waiting now or made later) would wait for ever, so it is refused at once.
    this.#reading = true;
    const input = this.#in;
    let queued: Buffer | null = null;
    if (input !== null && !this.closed) {
      input.buffer.detach();
      if (input.buffer.queue.length > 0) queued = input.buffer.queue.takeAll();
      if (input.buffer.waiting > 0) input.buffer.abort(pushModeError('recv'));
    }
    this.#push = true;
    // The consumer is installed (and the buffer's hold cleared) before the replay, so a
    // pauseReading() the consumer makes while handling the replayed bytes holds.
    const settled = super.onData(consumer, options);
    if (queued !== null) consumer(queued, this);
    return settled;
  }

  // ── receiving ───────────────────────────────────────────────────────────────────

  /**
   * Receives at most `maxBytes` bytes: whatever is queued, or waits for the next chunk.
   * `options.signal` aborts the wait; an aborted read takes nothing (the next gets the bytes).
   * @returns the bytes; an empty buffer when the peer closed the stream (EOF).
   * @throws {ConnectionResetError}, `SocketTimeoutError`, `WouldBlockError`, `SocketClosedError`,
   *   `InvalidStateError` (after `onData()`).
   */
  recv(maxBytes: number, options?: AbortOptions): Promise<Buffer> {
    return this.#input().recv(maxBytes, options);
  }

  /**
   * Receives exactly `n` bytes, waiting for as many chunks as needed.
   * @throws {IncompleteReadError} when the peer closes first (the bytes stay readable with `recv`).
   */
  recvExactly(n: number, options?: AbortOptions): Promise<Buffer> {
    return this.#input().recvExactly(n, options);
  }

  /**
   * Receives up to and including `delimiter` (which is stripped unless `keepDelimiter`).
   * @throws {FrameTooLongError} when `maxBytes` (default 64 KiB) pass without a delimiter; the bytes stay queued.
   * @throws {IncompleteReadError} when the peer closes before the delimiter.
   */
  recvUntil(delimiter: Uint8Array | string, options: RecvUntilOptions = {}): Promise<Buffer> {
    return this.#input().recvUntil(delimiter, options);
  }

  /**
   * Decodes frames from the stream with `decoder`, sharing the socket's receive buffer:
   * bytes read with `recv*` before or between frames are never lost. Ends at EOF; the
   * bytes of an unfinished frame reject with `TruncatedFrameError`. Waits even in
   * non-blocking mode; a timeout still applies.
   * @throws {DecoderError} (`FrameTooLongError`, `CorruptFrameError`, …) from the decoder.
   */
  frames<T>(decoder: Decoder<T>, options?: AbortOptions): AsyncIterableIterator<T> {
    return this.#input().frames(decoder, options);
  }

  /**
   * Received chunks until EOF (waits even in non-blocking mode); what `for await (… of
   * sock)` iterates, with a `signal` that ends the iteration by rejecting.
   */
  chunks(options?: AbortOptions): AsyncIterableIterator<Buffer> {
    return this.#input().chunks(options);
  }

  /** Async iteration over received chunks until EOF (waits even in non-blocking mode). */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.#input().chunks();
  }

  // ── sending ─────────────────────────────────────────────────────────────────────

  /**
   * Sends `data`, first waiting for room if the send buffer is full. Node accepts whole
   * writes, so it resolves to `data.length` (Python's `send` may accept less).
   * @throws {ConnectionResetError}, `SocketTimeoutError`, `WouldBlockError`, `SocketClosedError`.
   */
  send(data: Uint8Array | string, options?: AbortOptions): Promise<number> {
    if (this.#securing !== null) {
      return this.#afterHandshake('send', options, () => this.#output().send(data, options));
    }
    return this.#output().send(data, options);
  }

  /**
   * Sends all of `data`; resolves once `write()` accepted it or, when that filled the
   * buffer, on `'drain'` (Python's `sendall`). Aborted (`options.signal`) while waiting
   * for `'drain'`, the data stays written: only the wait ends.
   * @throws {ConnectionResetError}, `SocketTimeoutError`, `WouldBlockError`, `SocketClosedError`.
   */
  sendAll(data: Uint8Array | string, options?: AbortOptions): Promise<void> {
    if (this.#securing !== null) {
      return this.#afterHandshake('sendAll', options, () => this.#output().sendAll(data, options));
    }
    return this.#output().sendAll(data, options);
  }

  /** Encodes `frame` with `encoder` and sends it, with the backpressure of `sendAll`. */
  sendFrame<T>(encoder: Encoder<T>, frame: T, options?: AbortOptions): Promise<void> {
    if (this.#securing !== null) {
      return this.#afterHandshake('sendFrame', options, () =>
        this.#output().sendFrame(encoder, frame, options),
      );
    }
    return this.#output().sendFrame(encoder, frame, options);
  }

  /**
   * Sends once the `startTls` handshake in progress succeeded (rejecting with its failure
   * otherwise): bytes handed to TLS before it could go out before the certificate was
   * checked, since Node checks it only once OpenSSL finished the handshake.
   */
  async #afterHandshake<T>(
    op: string,
    options: AbortOptions | undefined,
    send: () => Promise<T>,
  ): Promise<T> {
    const signal = throwIfAborted(options);
    const securing = this.#securing;
    if (securing !== null) {
      if (this.#timeout === 0) throw new WouldBlockError(op, this.where());
      await (signal === undefined ? securing : raceAbort(securing, signal));
    }
    return send();
  }

  // ── closing ─────────────────────────────────────────────────────────────────────

  /**
   * Shuts down one or both directions. `write`: sends FIN once queued data is out (the
   * peer sees EOF, we can still receive). `read`: `recv` returns EOF from now on, and
   * queued and later bytes are discarded. `options.signal` aborts the wait for the FIN
   * to go out (not the FIN).
   */
  async shutdown(how: 'read' | 'write' | 'both', options?: AbortOptions): Promise<void> {
    if (how !== 'read' && how !== 'write' && how !== 'both') {
      throw new InvalidArgumentError(`how must be 'read', 'write' or 'both', got ${String(how)}`);
    }
    // Already aborted: nothing is shut, in either direction.
    const signal = throwIfAborted(options);
    if (this.closed) throw new SocketClosedError('shutdown', this.where());
    const sock = this.socket;
    if (sock === null) throw new NotConnectedError('shutdown');
    if (how !== 'write') {
      // Keep draining the kernel buffer (and discarding), as before the first read.
      this.#startReading();
      this.setConsumer(Socket.#discard);
      const buffer = this.#input().buffer;
      buffer.queue.clear();
      buffer.end();
    }
    if (how === 'read') return;
    // A handshake in progress (connect with tls, startTls): the FIN waits for it, as a send
    // does. Ended mid-handshake, the peer sees EOF before its certificate was checked and
    // gives the handshake up (a reset, not the pin's or the CA's verdict).
    const connecting = this.#handshake();
    if (connecting !== null) {
      if (this.#timeout === 0) throw new WouldBlockError('shutdown', this.where());
      await (signal === undefined ? connecting : raceAbort(connecting, signal));
    }
    await this.#output().shutdown(this.socket ?? sock, signal);
  }

  /**
   * `StreamConnection.endWriting`; while a connect or `startTls` handshake is in progress
   * the FIN waits for its outcome (as `shutdown('write')` does): sent mid-handshake it
   * would end the handshake before the certificate (or the pin) was checked, and `done`
   * would report a FIN out on a connection that check then destroys. A failed handshake
   * calls `done` with its error.
   */
  override endWriting(done: (err?: Error | null) => void): boolean {
    const connecting = this.#handshake();
    if (connecting === null) return super.endWriting(done);
    const sock = this.socket;
    if (this.#endPending || this.closed || sock === null || !sock.writable) return false;
    this.#endPending = true;
    connecting.then(
      () => {
        this.#endPending = false;
        if (!super.endWriting(done)) done(new SocketClosedError('shutdown', this.where()));
      },
      (err: unknown) => {
        this.#endPending = false;
        done(err instanceof Error ? err : new SocketClosedError('shutdown', this.where()));
      },
    );
    return true;
  }

  /**
   * The TLS handshake in progress (connect with `tls`, `startTls`), or null. A plain TCP
   * connect needs no wait: Node sends a FIN asked for meanwhile once it is connected.
   */
  #handshake(): Promise<void> | null {
    const connecting = this.#connecting;
    return connecting !== null && this.socket instanceof tls.TLSSocket ? connecting : null;
  }

  /**
   * Closes the socket gracefully (see `StreamConnection.close`: our FIN after the data
   * already sent, a lingering close bounded by `lingerTimeout` and `closeTimeout`, a
   * reset when the peer did not take our data in time). With `SO_LINGER` 0 it resets
   * instead. Idempotent. Pending reads reject with `SocketClosedError`.
   */
  override async close(options: CloseOptions = {}): Promise<void> {
    if (!this.closed && this.#options?.lingerZero === true) {
      this.reset();
      return;
    }
    await super.close(options);
  }

  /** Closed locally: waiting reads reject with `err` (default `SocketClosedError`). */
  protected override onClosed(err?: Error): void {
    const buffer = this.#in?.buffer;
    if (buffer === undefined) return; // made later, already aborted (see #input)
    if (err === undefined && buffer.waiting === 0) buffer.abort(UNSEEN_CLOSE);
    else buffer.abort(err ?? new SocketClosedError('recv', this.where()));
  }

  /** `close()`, for `await using sock = …`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ── introspection and options ───────────────────────────────────────────────────

  /** Bytes received but not yet read. */
  get receivedAmount(): number {
    return this.#in?.buffer.queue.length ?? 0;
  }

  /** The remote address (Python's `getpeername`). For Unix sockets, the path connected to. */
  getPeerName(): PeerAddress {
    const sock = this.#requireSock('getPeerName');
    if (this.#family === 'unix') {
      const path = this.#remote && isUnixAddress(this.#remote) ? this.#remote.path : '';
      return { family: 'unix', path };
    }
    if (sock.remoteAddress === undefined) throw new NotConnectedError('getPeerName', this.where());
    return toPeerAddress(sock.remoteAddress, sock.remotePort, sock.remoteFamily);
  }

  /** The local address (Python's `getsockname`). For Unix client sockets, an empty path. */
  getSockName(): PeerAddress {
    const sock = this.#requireSock('getSockName');
    if (this.#family === 'unix') {
      const a = sock.address();
      return { family: 'unix', path: typeof a === 'string' ? a : '' };
    }
    if (sock.localAddress === undefined) throw new NotConnectedError('getSockName', this.where());
    return toPeerAddress(sock.localAddress, sock.localPort, sock.localFamily);
  }

  #requireSock(op: string): net.Socket {
    if (this.closed) throw new SocketClosedError(op, this.where());
    const sock = this.socket;
    if (sock === null || this.#connecting !== null) throw new NotConnectedError(op);
    return sock;
  }

  /**
   * Sets the timeout (seconds) of every operation that waits; `null` = none; `0` =
   * non-blocking (Python's `settimeout`; not Node's `net.Socket.setTimeout(ms)`, an idle timer).
   */
  setOperationTimeout(seconds: number | null): void {
    this.#timeout = checkTimeout(seconds);
  }

  /** The operation timeout in seconds; `null` = blocking without limit; `0` = non-blocking. */
  getOperationTimeout(): number | null {
    return this.#timeout;
  }

  /** `setBlocking(false)` = `setOperationTimeout(0)`; `setBlocking(true)` = `setOperationTimeout(null)` (as in Python). */
  setBlocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /** True unless the socket is non-blocking (timeout 0). */
  getBlocking(): boolean {
    return this.#timeout !== 0;
  }

  /**
   * Sets a socket option (`TCP_NODELAY`, `SO_KEEPALIVE`, `TCP_KEEPIDLE`, `SO_LINGER`).
   * @throws {UnsupportedOptionError} for options Node cannot honour (e.g. `SO_RCVBUF` on TCP).
   */
  setOption(name: StreamOptionName | (string & {}), value: unknown): void {
    const sock = this.#connecting === null ? this.socket : null;
    (this.#options ??= new StreamOptions()).set(name, value, sock, this.#family === 'unix');
  }

  /** Reads back a socket option set with `setOption` (or its default). */
  getOption(name: StreamOptionName | (string & {})): unknown {
    return (this.#options ??= new StreamOptions()).get(name);
  }

  /**
   * The OS file descriptor. Linux/libuv-specific: read from the libuv handle, so it is
   * unavailable for TLS sockets and on Windows. Do not close it behind the socket's back.
   * @throws {NotConnectedError} when no descriptor is exposed.
   */
  fileno(): number {
    const fd = handleFd(this.#requireSock('fileno'));
    if (fd === undefined)
      throw new NotConnectedError('fileno (no descriptor is exposed)', this.where());
    return fd;
  }

  /** A Readable stream view (Python's `makefile('rb')`) reading from the same receive buffer. */
  readable(): Readable {
    return this.#input().readable();
  }

  /** A Writable stream view (Python's `makefile('wb')`); ending it shuts down our sending side. */
  writable(): Writable {
    return writableView(
      (chunk) => this.sendAll(chunk),
      () => this.shutdown('write'),
    );
  }

  protected override where(): ErrorAddress {
    if (this.#remote !== undefined) return errorWhere(this.#remote);
    return super.where();
  }
}
