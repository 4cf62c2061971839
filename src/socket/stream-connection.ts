/**
 * `StreamConnection`: the one owner of a stream connection (TCP, TLS or Unix) — its
 * `net.Socket`, the push-mode read loop, flow control tied to our own writes, the
 * mapping of its failures to the error tree, and the bounded graceful close. `Socket`'s
 * promise API is one consumer on top of it; services that only push bytes (echo, chat)
 * are others.
 *
 * ```
 *  kernel ─► net.Socket 'data' ─► consumer(chunk, conn)      synchronous: no promise, no copy
 *               ▲    pauseReading()/resumeReading(): the consumer's own hold (a full queue)
 *               │    write(chunk) === false ─► pauseUntilDrained()
 *               └──────────────── 'drain' resumes, once no hold is left
 *  'end' / 'close' / 'error' ─► onData()'s promise: resolves at EOF, rejects with a SocketkitError
 *  close() ─► gracefulClose: FIN after our data, linger, closeTimeout ─► reset (never a short reply)
 * ```
 *
 * Two reasons can hold reading: the consumer's (its queue is full) and our writes' (the
 * peer does not take what we send back). Reading resumes only once neither holds, as in
 * ws's `socketOnData`/`receiverOnDrain` pair. Per connection there is no state until
 * something reads: the 'data', 'end' and 'close' listeners come with the first consumer,
 * and the 'end'/'close'/'error'/'drain' listeners are shared functions that find their
 * connection in a WeakMap (one closure per reading connection, for 'data').
 *
 * Idle timeouts stay with the server's one `IdleSweeper` (it watches the byte counters
 * of `raw`, which needs no listener); TLS handshake timeouts with the TLS listener.
 * @module
 */
import type * as net from 'node:net';
import {
  type ErrorAddress,
  fromSystemError,
  InvalidArgumentError,
  InvalidStateError,
  NotConnectedError,
  SocketClosedError,
  type SocketkitError,
} from '../errors.js';
import { raceAbort, throwIfAborted } from '../internal/abort-signal.js';
import { gracefulClose } from './graceful-close.js';
import { readIntoBuffer } from './net-internals.js';
import { returnReadBuffer, takeReadBuffer } from './read-buffer-pool.js';
import { cutConnection, resetConnection } from './reset-connection.js';
import type { CloseOptions } from './socket-options.js';

/** Takes each received chunk, synchronously, in order. `conn` is the connection it came on. */
export type DataConsumer = (chunk: Buffer, conn: StreamConnection) => void;

/** How `onData` hands chunks over. */
export interface DataOptions {
  /**
   * The consumer only borrows each chunk: it is valid until the consumer returns, except
   * that the consumer may `write()` it to this same connection (reading then waits until
   * that write is done) or to another one, holding reading with `pauseReading()` until
   * that write's `done` (what `relayPair` does); anything it keeps longer it copies. In exchange, once the peer
   * sends in bulk (a chunk of 16 KiB or more), the connection reads into one 64 KiB
   * buffer of its own, reused for every read, instead of a fresh buffer per read that
   * the GC frees later (see `read-buffer-pool.ts`: at most 128 such buffers are lent at
   * once; past that, connections read as before). TCP and Unix sockets only; a TLS
   * socket reads as before. Default false.
   */
  reuseBuffer?: boolean;
}

/** A chunk this large says the peer sends in bulk: worth a reused read buffer. */
const BULK_CHUNK = 16 * 1024;

/** The bounds of a connection's graceful close, in seconds. */
export interface CloseLimits {
  /** The whole close (flushing and lingering) before the socket is reset or destroyed. */
  closeTimeout: number;
  /** How long to discard input after our FIN, waiting for the peer's EOF; 0 = none. */
  lingerTimeout: number;
}

/**
 * Where a net.Socket keeps the connection that owns it (one owner each). A property, not
 * a WeakMap: every entry of a WeakMap is an ephemeron the GC must trace at each
 * scavenge, and a server making thousands of short connections a second pays for that
 * in every young-generation collection.
 */
const OWNER = Symbol('socketkit.owner');

/** A net.Socket as a connection owns it. */
type Owned = net.Socket & { [OWNER]?: StreamConnection | undefined };

/** The connection that owns `sock`, if any. */
function ownerOf(sock: net.Socket): StreamConnection | undefined {
  return (sock as Owned)[OWNER];
}

/** Reading is held because the consumer asked (its queue is full). */
const CONSUMER_HOLD = 1;
/** Reading is held because our own writes wait for 'drain'. */
const DRAIN_HOLD = 2;
/** Reading is held because a write of bytes still in the reused read buffer is pending. */
const BUFFER_HOLD = 4;

interface Settle {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * A stream connection in push mode.
 *
 * @example
 * ```ts
 * // echo: what socket.pipe(socket) does, with socketkit's close and errors
 * await conn.onData((chunk, c) => {
 *   if (!c.write(chunk)) c.pauseUntilDrained();
 * });
 * await conn.close();
 * ```
 */
export class StreamConnection {
  #sock: net.Socket | null = null;
  #consumer: DataConsumer | null = null;
  /** The consumer borrows chunks (`reuseBuffer`). */
  #borrows = false;
  /** The reused read buffer, once the connection reads into one (bulk, `reuseBuffer`). */
  #readBuffer: Buffer | null = null;
  /** The write callback that lifts BUFFER_HOLD (one per connection reading into a buffer). */
  #afterWrite: (() => void) | null = null;
  /** onData()'s promise, while the input has not ended. */
  #settle: Settle | null = null;
  #holds = 0;
  #drainListening = false;
  /** The peer finished sending, or the socket closed (seen once reading started). */
  #eof = false;
  /** The 'data' listener of the owned socket (one closure per reading connection). */
  #onChunk: ((chunk: Buffer) => void) | null = null;
  /** The first failure: of the stream ('error'), or recorded by a subclass (connect). */
  #error: SocketkitError | null = null;
  /** The first failure the stream reported ('error'). */
  #inputError: SocketkitError | null = null;
  #closed = false;
  /** The end of a graceful close in progress: resolves once the socket is destroyed. */
  #closing: Promise<void> | null = null;
  readonly #closeTimeout: number;
  readonly #lingerTimeout: number;

  constructor(limits: CloseLimits) {
    this.#closeTimeout = limits.closeTimeout;
    this.#lingerTimeout = limits.lingerTimeout;
  }

  /**
   * Takes over `sock`: the peer's EOF no longer ends our side (`allowHalfOpen`), and its
   * failures are recorded here (an 'error' listener always: without one a failure would
   * crash the process).
   * @throws {InvalidArgumentError} if another connection owns it.
   */
  protected attach(sock: net.Socket): void {
    if (ownerOf(sock) !== undefined) {
      // Two owners would split the bytes between two consumers and fight over pause().
      throw new InvalidArgumentError('this net.Socket is already wrapped by a socketkit Socket');
    }
    (sock as Owned)[OWNER] = this;
    this.#sock = sock;
    sock.allowHalfOpen = true;
    sock.on('error', StreamConnection.#onError);
    if (this.#consumer !== null) this.#listen(sock);
  }

  /**
   * Moves the connection onto the stream `layer` puts over the owned socket (TLS started
   * on a plain connection: `Socket.startTls`). The owned socket is paused and loses its
   * consumer before `layer` runs, so the bytes it still buffers stay for the new layer
   * (`tls.connect({ socket })` reads them) and none reaches the old consumer; `layer`
   * must take over the old socket's errors and close (`tls.connect` does). The consumer,
   * the holds it set and `onData()`'s promise carry over to the new socket.
   * @throws {InvalidStateError} when not connected, or reading into a reused buffer (its
   *   reads bypass the stream the new layer would read from).
   * @throws whatever `layer` throws; the connection then reads from the old socket again.
   */
  protected handOver(layer: (sock: net.Socket) => net.Socket): net.Socket {
    const old = this.#sock;
    if (old === null || old.destroyed || this.#closed) {
      throw new InvalidStateError('cannot hand the connection over: it is not open');
    }
    if (this.#readBuffer !== null) {
      throw new InvalidStateError('cannot hand over a connection reading into a reused buffer');
    }
    const onChunk = this.#onChunk;
    old.pause();
    if (onChunk !== null) old.off('data', onChunk);
    let next: net.Socket;
    try {
      next = layer(old);
    } catch (err) {
      if (onChunk !== null) old.on('data', onChunk);
      if (this.#holds === 0 && this.#consumer !== null) old.resume();
      throw err;
    }
    old.off('error', StreamConnection.#onError);
    old.off('end', StreamConnection.#onEnd);
    old.off('close', StreamConnection.#onClose);
    old.off('drain', StreamConnection.#onDrain);
    old.off('finish', StreamConnection.#onDrain);
    (old as Owned)[OWNER] = undefined;
    this.#drainListening = false;
    this.#holds &= ~DRAIN_HOLD;
    this.#onChunk = null;
    this.#sock = null;
    this.attach(next);
    return next;
  }

  /** The owned `net.Socket`, or null before it connects. */
  protected get socket(): net.Socket | null {
    return this.#sock;
  }

  /** The first failure (`'error'`, or what `recordError` noted), or null. */
  protected get failure(): SocketkitError | null {
    return this.#error;
  }

  /** The first failure the stream itself reported, or null. */
  protected get inputFailure(): SocketkitError | null {
    return this.#inputError;
  }

  /** True once the peer's EOF or the socket's close was seen. */
  protected get inputEnded(): boolean {
    return this.#eof;
  }

  /** Notes a failure found outside the stream's events (a failed connect). */
  protected recordError(err: SocketkitError): void {
    this.#error ??= err;
  }

  /** Where errors say the connection goes; a subclass that knows better overrides it. */
  protected where(): ErrorAddress {
    const sock = this.#sock;
    if (sock?.remoteAddress !== undefined) {
      return { address: sock.remoteAddress, port: sock.remotePort };
    }
    return {};
  }

  /** Hook: the peer finished sending, or the socket closed. */
  protected onInputEnd(): void {}

  /** Hook: the stream failed with `err`. */
  protected onInputError(_err: SocketkitError): void {}

  /** Hook: the connection was closed locally (`close`, `destroy`, `reset`), with `err` if given. */
  protected onClosed(_err?: Error): void {}

  // ── receiving ───────────────────────────────────────────────────────────────────

  /**
   * Sets the consumer: every chunk received from now on is handed to it synchronously,
   * from the `'data'` event, in order. Replaces any consumer set before.
   * @returns a promise that resolves at the peer's EOF (or a clean close) and rejects
   *   with a `SocketkitError` when the stream fails (`ConnectionResetError`, …) or with
   *   `SocketClosedError` when it was closed locally first.
   */
  onData(consumer: DataConsumer, options: DataOptions = {}): Promise<void> {
    this.#settle?.resolve(); // a consumer replaced: its input ended for it
    this.#settle = null;
    if (this.#closed) return Promise.reject(new SocketClosedError('recv', this.where()));
    if (this.#sock === null) return Promise.reject(new NotConnectedError('recv'));
    const promise = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.setConsumer(consumer, options.reuseBuffer === true);
    // What happened before anyone listened.
    if (this.#inputError !== null) this.#finish(this.#inputError);
    else if (this.#eof) this.#finish();
    return promise;
  }

  /**
   * Sets the consumer without a promise (a subclass's own buffer). The first consumer
   * attaches the listeners and starts the flow.
   */
  protected setConsumer(consumer: DataConsumer, borrows = false): void {
    const first = this.#consumer === null;
    this.#consumer = consumer;
    this.#borrows = borrows;
    this.#holds &= ~CONSUMER_HOLD;
    const sock = this.#sock;
    if (sock === null) return;
    if (first) this.#listen(sock);
    else if (this.#holds === 0) sock.resume();
  }

  #listen(sock: net.Socket): void {
    // What happened before we listened: 'end' or 'close' was emitted ('error' comes
    // before 'close', and #onError listens from the start).
    if (!this.#eof && (sock.readableEnded || sock.closed)) {
      this.#eof = true;
      this.onInputEnd();
    }
    sock.on('end', StreamConnection.#onEnd);
    sock.on('close', StreamConnection.#onClose);
    // One closure per reading connection: a WeakMap lookup per chunk would cost more.
    this.#onChunk = (chunk: Buffer) => {
      // After a local close the bytes are discarded (the lingering close drains them).
      if (this.#closed) return;
      this.#consumer?.(chunk, this);
      if (this.#borrows && chunk.length >= BULK_CHUNK && this.#readBuffer === null) {
        this.#reuseReadBuffer(sock);
      }
    };
    sock.on('data', this.#onChunk);
    // Last: attaching 'data' starts the flow (bytes already buffered come at once).
    if (sock.isPaused() && this.#holds === 0) sock.resume();
  }

  /**
   * From the next read on, the kernel writes into one buffer of this connection's
   * (`reuseBuffer`), handed to the consumer as a view. Only between reads, with nothing
   * left in the stream's own buffer (else older bytes would come after newer ones).
   */
  #reuseReadBuffer(sock: net.Socket): void {
    if (sock.readableLength > 0 || sock.destroyed) return;
    const buffer = takeReadBuffer();
    if (buffer === null) return;
    const ok = readIntoBuffer(sock, buffer, (nread, buf) => {
      if (this.#closed) return true; // discarded, as with 'data' (the lingering close)
      const chunk = buf.subarray(0, nread);
      const queued = sock.writableLength;
      // A consumer set later without reuseBuffer may keep its chunks: it gets a copy.
      this.#consumer?.(this.#borrows ? chunk : Buffer.from(chunk), this);
      // The consumer wrote the bytes back and the kernel did not take them all yet: the
      // pending write still points into the buffer, so nothing is read into it until done.
      // (Only a write made now: bytes queued before are another producer's, a relay's.)
      if (this.#borrows && sock.writableLength > queued && (this.#holds & BUFFER_HOLD) === 0) {
        this.#holds |= BUFFER_HOLD;
        sock.pause();
      }
      return true;
    });
    if (!ok) {
      returnReadBuffer(buffer);
      return;
    }
    this.#readBuffer = buffer;
    this.#afterWrite = () => {
      if ((this.#holds & BUFFER_HOLD) !== 0 && sock.writableLength === 0) {
        this.#release(BUFFER_HOLD);
      }
    };
    // Back to the pool once the handle is closed: nothing reads into it after that.
    sock.once('close', () => returnReadBuffer(buffer));
    // Held now (a full send buffer): stop the handle too. Before the switch, pause() only
    // stopped the stream's flow and the handle went on reading into the stream's buffer;
    // with a reused buffer, pause() stops the handle's reads.
    if (this.#holds !== 0) sock.pause();
  }

  /** Stops reading until `resumeReading()` (the consumer's queue is full). */
  pauseReading(): void {
    this.#holds |= CONSUMER_HOLD;
    this.#sock?.pause();
  }

  /** Lifts `pauseReading()`; reading resumes unless our writes still wait for 'drain'. */
  resumeReading(): void {
    this.#release(CONSUMER_HOLD);
  }

  #release(hold: number): void {
    this.#holds &= ~hold;
    // Never without a consumer: a flowing socket with no 'data' listener loses the bytes.
    if (this.#holds === 0 && this.#consumer !== null) this.#sock?.resume();
  }

  // ── sending ─────────────────────────────────────────────────────────────────────

  /**
   * Writes `data` (a Buffer is written as is, no copy). Returns false when the send
   * buffer is full (the caller should stop producing: `pauseUntilDrained()`), and false
   * without writing once our side is shut or the connection closed. `done` is called once
   * the kernel took `data` (with the error if the write failed; for a write the kernel
   * took at once, on the next tick; never when nothing was written): a producer that lent
   * a buffer it reuses (the relay engine) waits for it.
   */
  write(data: Uint8Array | string, done?: (err?: Error | null) => void): boolean {
    const sock = this.#sock;
    if (sock === null || !sock.writable) return false;
    // Reading into a reused buffer: the callback lifts the hold that keeps the next read
    // from overwriting bytes this write still points to.
    const after = this.#afterWrite;
    if (done === undefined) return after === null ? sock.write(data) : sock.write(data, after);
    if (after === null) return sock.write(data, done);
    return sock.write(data, (err?: Error | null) => {
      after();
      done(err);
    });
  }

  /**
   * Half-closes in push mode: our FIN goes out after everything written. `done` is called
   * once the FIN was handed to the kernel, or with the error if the connection failed or
   * was destroyed first (never both). Returns false, and calls nothing, when our side was
   * already shut or the connection closed. The callback form of `Socket.shutdown('write')`
   * for producers that count no promises per connection (the relay engine).
   */
  endWriting(done: (err?: Error | null) => void): boolean {
    const sock = this.#sock;
    if (sock === null || !sock.writable || this.#closed) return false;
    sock.end(done);
    return true;
  }

  /**
   * Stops reading until the send buffer drains: what a consumer that answers each chunk
   * calls when `write()` returned false, so a peer that sends but does not read cannot
   * fill our memory. Does nothing if the buffer already has room.
   */
  pauseUntilDrained(): void {
    const sock = this.#sock;
    // Once our side is ending Node emits no 'drain' any more: a hold taken then would
    // never be lifted, so none is taken, and 'finish' (everything flushed after end())
    // lifts one taken before. Nothing left unsent (the kernel took it all at once, though
    // write() said the chunk was over the high-water mark): no reason to hold.
    if (
      sock === null ||
      !sock.writableNeedDrain ||
      sock.writableEnded ||
      sock.writableLength === 0
    ) {
      return;
    }
    this.#holds |= DRAIN_HOLD;
    sock.pause();
    if (!this.#drainListening) {
      this.#drainListening = true;
      sock.on('drain', StreamConnection.#onDrain);
      sock.once('finish', StreamConnection.#onDrain);
    }
  }

  /**
   * Resolves once the send buffer has room again (at once when it has), so a producer
   * other than this connection's own reader — the other side of a relay — can hold its
   * reading while this connection's peer is slow, and resume on our 'drain'.
   * @throws {SocketClosedError} (rejects) when the connection closes or fails first (the
   *   failure itself when there was one): nothing written now would reach the peer.
   */
  whenDrained(): Promise<void> {
    const sock = this.#sock;
    if (sock === null) return Promise.reject(new NotConnectedError('send'));
    if (this.#closed || sock.destroyed || !sock.writable) {
      return Promise.reject(this.#error ?? new SocketClosedError('send', this.where()));
    }
    if (!sock.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        sock.off('drain', settle);
        sock.off('close', settle);
        if (sock.destroyed || this.#closed) {
          reject(this.#error ?? new SocketClosedError('send', this.where()));
        } else resolve();
      };
      sock.on('drain', settle);
      sock.on('close', settle);
    });
  }

  /** True while `write()` would write: connected, our side not shut, not closed. */
  get canWrite(): boolean {
    const sock = this.#sock;
    return sock !== null && sock.writable && !this.#closed;
  }

  /** Bytes written but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.#sock?.writableLength ?? 0;
  }

  // ── closing ─────────────────────────────────────────────────────────────────────

  /**
   * Closes gracefully: data already written is flushed and our FIN follows it; then, for
   * at most `lingerTimeout` seconds, input is discarded until the peer closes too, and
   * the socket is destroyed. The whole close takes at most `closeTimeout` seconds; a peer
   * that did not take all our data by then gets a reset, never a clean end after a short
   * reply. Resolves once the FIN is out, or with `{ wait: true }` once the socket is
   * fully closed. Idempotent.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const signal = throwIfAborted(options);
    if (this.#closed) {
      if (options.wait === true && this.#closing !== null)
        await this.#waitClosing(this.#closing, signal);
      return;
    }
    const sock = this.#sock;
    this.#markClosed();
    if (sock === null || sock.destroyed) return;
    if (sock.connecting || this.#error !== null) {
      sock.destroy();
      return;
    }
    // Both directions already over (our FIN flushed, the peer's EOF read: a relay or a
    // proxy tunnel that ran to its end): nothing is left to flush or linger for, and the
    // graceful close would only come to this same destroy() through a chain of promises.
    if (sock.writableFinished && sock.readableEnded) {
      sock.destroy();
      return;
    }
    const { flushed, closed } = gracefulClose(sock, {
      closeTimeout: this.#closeTimeout,
      linger: this.#lingerTimeout,
    });
    this.#closing = closed;
    await this.#waitClosing(options.wait === true ? closed : flushed, signal);
  }

  /** Waits for a graceful close; an abort cuts it short with a reset (and rejects). */
  async #waitClosing(closing: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    if (signal === undefined) return closing;
    try {
      await raceAbort(closing, signal);
    } catch (err) {
      if (signal.aborted) this.reset();
      throw err;
    }
  }

  /**
   * Closes at once, dropping unsent data — and when there was any, with a reset (TCP RST)
   * rather than a FIN, so the peer sees an error instead of a reply cut short (see
   * `cutConnection`).
   */
  destroy(error?: Error): void {
    if (!this.#closed) this.#markClosed(error);
    if (this.#sock !== null) cutConnection(this.#sock);
  }

  /** Aborts the connection with a TCP RST (linger 0): the peer sees `ECONNRESET`. */
  reset(): void {
    if (!this.#closed) this.#markClosed();
    if (this.#sock !== null) resetConnection(this.#sock);
  }

  /** True once `close`, `destroy` or `reset` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The underlying `net.Socket` (an escape hatch for `pipe`, `cork`, …). */
  get raw(): net.Socket {
    if (this.#sock === null) throw new NotConnectedError('raw');
    return this.#sock;
  }

  #markClosed(err?: Error): void {
    this.#closed = true;
    this.onClosed(err);
  }

  /** Settles onData()'s promise: resolved, or rejected with `err`. */
  #finish(err?: Error): void {
    const settle = this.#settle;
    if (settle === null) return;
    this.#settle = null;
    if (err === undefined) settle.resolve();
    else settle.reject(err);
  }

  static #onEnd(this: net.Socket): void {
    const owner = ownerOf(this);
    if (owner === undefined) return;
    owner.#eof = true;
    owner.onInputEnd();
    owner.#finish();
  }

  static #onClose(this: net.Socket): void {
    const owner = ownerOf(this);
    if (owner === undefined) return;
    const peerEnded = owner.#eof && this.readableEnded;
    owner.#eof = true;
    owner.onInputEnd();
    // Closed under the consumer (idle timeout, a server's drain timeout): say so, as a
    // read would; closed after the peer's EOF or for no reason of ours: a clean end.
    if (owner.#closed && !peerEnded) owner.#finish(new SocketClosedError('recv', owner.where()));
    else owner.#finish();
  }

  static #onError(this: net.Socket, err: Error): void {
    const owner = ownerOf(this);
    if (owner === undefined) return;
    const e = fromSystemError(err, { ...owner.where(), syscall: 'recv' });
    owner.#error ??= e;
    owner.#inputError ??= e;
    owner.onInputError(e);
    owner.#finish(e);
  }

  static #onDrain(this: net.Socket): void {
    const owner = ownerOf(this);
    // Everything written is flushed: a write of the reused buffer's bytes too (one made
    // through `raw`, without our callback).
    if (owner !== undefined) owner.#release(DRAIN_HOLD | BUFFER_HOLD);
  }
}
