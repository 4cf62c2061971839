/**
 * `relayPair`: the one byte-pumping engine. It moves bytes both ways between two sides
 * until both directions are done: `socketkit relay` for each client, and the SOCKS and
 * HTTP proxies once a tunnel is open. A side is a `Socket` (TCP, TLS, Unix), driven
 * through `StreamConnection`'s push API, or anything else that implements
 * {@link RelaySide} (the CLI's stdio, `exec:`, `file:` and datagram sides).
 *
 * ```
 *  a ─onData─► b.write(chunk, written) ─ the kernel did not take it all ─► a.pauseReading()
 *                                          written (b's callback) ─► a.resumeReading()
 *  side.read ─► to.write(chunk) ─ false ─► side.pauseReading() ─ to.whenDrained() ─► resume
 *  (the same from b to a)
 *  a's EOF ─► b.endWriting() (FIN after a's data)          b's EOF ─► a's, the same
 *  both directions ended and flushed ─► both closed gracefully: 'done'
 *  a side fails (reset, error) ─► both reset, so the other peer sees a reset, never a clean
 *                                 EOF after a cut stream; the first error reported: 'error'
 *  idleTimeout: no byte either way for that long ─► both closed gracefully: 'idle'
 *  signal aborted ─► both reset: 'aborted'
 * ```
 *
 * Between two `Socket`s a direction reads into the source connection's reused 64 KiB
 * buffer (`onData`'s `reuseBuffer`: no allocation per read, nothing for the GC) and lends
 * it to the other connection's `write()`. When the kernel takes the chunk at once (most
 * writes), reading goes on; when it does not, reading waits for that write's callback, so
 * a direction has at most one chunk in flight, the buffer is never overwritten under a
 * pending write, and a peer that does not read holds the other peer back through the
 * kernel's buffers, as in socat. Per chunk there is no promise, timer or closure; idle
 * timeouts are one shared `IdleSweeper` per timeout value, not a timer per relay.
 *
 * Pauses are published on `socketkit:relay:pause` (when someone listens) with the bytes
 * the slow side held then, so a test can see the relay hold instead of timing it.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { fromSystemError, InvalidArgumentError, SocketClosedError } from '../errors.js';
import { checkSignal } from '../internal/abort-signal.js';
import { checkSeconds } from '../internal/check-option.js';
import { type ByteCounters, IdleSweeper } from '../internal/idle-sweeper.js';
import { Socket } from './tcp-socket.js';

/**
 * `socketkit:relay:pause`: a relay stopped reading one side because the other did not
 * take its bytes yet. Message: `{ from, to, buffered }` (the sides' labels, and the bytes
 * waiting in `to`'s send buffer).
 */
export const relayPauseChannel = channel('socketkit:relay:pause');

/**
 * One side of a relay that is not a `Socket`: a pair of Node streams, a datagram peer, …
 * The contract is the push API of `StreamConnection` under the names the relay needs.
 */
export interface RelaySide {
  /**
   * Starts reading: every chunk received goes to `consumer`, synchronously and in order;
   * the chunk is the consumer's to keep. Resolves at the peer's EOF (a clean end of its
   * input), rejects when the side fails (a reset, a child that could not run, …).
   */
  read(consumer: (chunk: Buffer) => void): Promise<void>;
  /** Stops handing chunks over until `resumeReading()` (the other side is slow). */
  pauseReading(): void;
  resumeReading(): void;
  /** Writes a chunk (it may keep it); false when the side is full (wait for `whenDrained`). */
  write(chunk: Buffer): boolean;
  /** Resolves once the side takes more; rejects when it failed or closed first. */
  whenDrained(): Promise<void>;
  /** Half-close: our EOF after everything written. Resolves once it is out. */
  end(): Promise<void>;
  /** Closes gracefully (both directions done, or the idle timeout). */
  close(): Promise<void>;
  /** Aborts (a TCP RST where there is one, so the peer sees an error, not an EOF). */
  reset(): void;
  /** Bytes written but not yet taken by the transport. */
  readonly bufferedAmount: number;
}

/** What `relayPair` relays between: a `Socket`, or any other {@link RelaySide}. */
export type RelayEndpoint = Socket | RelaySide;

/** Options of {@link relayPair}. */
export interface RelayPairOptions {
  /** Seconds without a byte either way before both sides are closed; null or 0 = never (default). */
  idleTimeout?: number | null | undefined;
  /** Aborts the relay: both sides are reset. */
  signal?: AbortSignal | undefined;
  /** The sides' names in `socketkit:relay:pause` messages. Default `['a', 'b']`. */
  labels?: readonly [string, string] | undefined;
}

/** How a relay ended. */
export interface RelayResult {
  /** `done`: both directions ended; `idle`: the idle timeout; `error`: a side failed; `aborted`: the signal. */
  end: 'done' | 'idle' | 'error' | 'aborted';
  /** The failure, for `error` (the first one: the other side's that follows is not reported). */
  error: Error | null;
  /** Which side failed, for `error`. */
  failed: 'a' | 'b' | null;
  /** Bytes from `a` to `b`. */
  forward: number;
  /** Bytes from `b` to `a`. */
  backward: number;
}

/** The idle sweepers, one per timeout (in ms) while relays use it. */
const sweepers = new Map<number, IdleSweeper>();

/**
 * Relays between `a` and `b` until both directions are done (see the module comment).
 * Always resolves, with both sides closed (`done`, `idle`) or reset (`error`, `aborted`);
 * the sides are the relay's from the call on: nothing else may read from them.
 * @throws {InvalidArgumentError} for a bad `idleTimeout` or `signal`, or `a === b` (synchronously).
 *
 * @example
 * ```ts
 * // a port forwarder: each client relayed to a fresh connection to 127.0.0.1:80
 * for await (const { socket } of listener) {
 *   const upstream = await Socket.createConnection({ host: '127.0.0.1', port: 80 });
 *   void relayPair(socket, upstream, { idleTimeout: 300 });
 * }
 * ```
 */
export function relayPair(
  a: RelayEndpoint,
  b: RelayEndpoint,
  options: RelayPairOptions = {},
): Promise<RelayResult> {
  checkSeconds(options.idleTimeout, 'idleTimeout', true);
  checkSignal(options.signal);
  if (a === b) throw new InvalidArgumentError('relayPair needs two different sides');
  return new Promise<RelayResult>((resolve) => {
    new Pair(a, b, options, resolve).start();
  });
}

/** One relay: its two directions, how it ends. */
class Pair implements ByteCounters {
  settled = false;
  #directionsDone = 0;
  readonly #a: RelayEndpoint;
  readonly #b: RelayEndpoint;
  readonly #forward: Direction;
  readonly #backward: Direction;
  readonly #signal: AbortSignal | undefined;
  readonly #idleMs: number;
  readonly #resolve: (result: RelayResult) => void;

  constructor(
    a: RelayEndpoint,
    b: RelayEndpoint,
    options: RelayPairOptions,
    resolve: (result: RelayResult) => void,
  ) {
    this.#a = a;
    this.#b = b;
    const [labelA, labelB] = options.labels ?? ['a', 'b'];
    this.#forward = new Direction(this, a, b, labelA, labelB);
    this.#backward = new Direction(this, b, a, labelB, labelA);
    this.#signal = options.signal;
    const idle = options.idleTimeout ?? 0;
    this.#idleMs = idle > 0 ? Math.max(1, Math.round(idle * 1000)) : 0;
    this.#resolve = resolve;
  }

  /** Bytes moved a → b (what the idle sweeper watches, with `bytesWritten`). */
  get bytesRead(): number {
    return this.#forward.bytes;
  }

  /** Bytes moved b → a. */
  get bytesWritten(): number {
    return this.#backward.bytes;
  }

  start(): void {
    const signal = this.#signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.finish('aborted');
        return;
      }
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (this.#idleMs > 0) {
      let sweeper = sweepers.get(this.#idleMs);
      if (sweeper === undefined) {
        sweeper = new IdleSweeper(this.#idleMs / 1000);
        sweepers.set(this.#idleMs, sweeper);
      }
      sweeper.add(this, this, this.#onIdle);
    }
    this.#forward.start();
    this.#backward.start();
  }

  readonly #onAbort = (): void => this.finish('aborted');
  readonly #onIdle = (): void => this.finish('idle');

  /** A direction ended and its EOF went out: the relay is done once both have. */
  readonly directionDone = (): void => {
    if (++this.#directionsDone === 2) this.finish('done');
  };

  /** `side` failed with `err`: the end of the relay (the first failure only). */
  fail(err: unknown, side: RelayEndpoint): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.finish('error', error, side === this.#a ? 'a' : 'b');
  }

  finish(
    end: RelayResult['end'],
    error: Error | null = null,
    failed: 'a' | 'b' | null = null,
  ): void {
    if (this.settled) return;
    this.settled = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.#idleMs > 0) {
      const sweeper = sweepers.get(this.#idleMs);
      sweeper?.delete(this);
      if (sweeper?.size === 0) sweepers.delete(this.#idleMs);
    }
    const result: RelayResult = {
      end,
      error,
      failed,
      forward: this.#forward.bytes,
      backward: this.#backward.bytes,
    };
    if (end === 'done' || end === 'idle') {
      void Promise.allSettled([this.#a.close(), this.#b.close()]).then(() => this.#resolve(result));
      return;
    }
    // A failure on one side is passed on as a failure: the other peer gets a reset.
    this.#a.reset();
    this.#b.reset();
    this.#resolve(result);
  }
}

/** One direction: reads `from`, writes `to`. */
class Direction {
  bytes = 0;
  /** Reading `from` is held until `to` took the last chunk. */
  #held = false;
  readonly #pair: Pair;
  readonly #from: RelayEndpoint;
  readonly #to: RelayEndpoint;
  readonly #fromLabel: string;
  readonly #toLabel: string;

  constructor(
    pair: Pair,
    from: RelayEndpoint,
    to: RelayEndpoint,
    fromLabel: string,
    toLabel: string,
  ) {
    this.#pair = pair;
    this.#from = from;
    this.#to = to;
    this.#fromLabel = fromLabel;
    this.#toLabel = toLabel;
  }

  start(): void {
    const from = this.#from;
    const toSocket = this.#to instanceof Socket;
    // Into a Socket the chunk may be a borrowed view of `from`'s reused read buffer: the
    // write callback says when the kernel no longer needs it. Anything else keeps chunks.
    const consumer = toSocket ? this.#toSocketConsumer : this.#toSideConsumer;
    const reading =
      from instanceof Socket
        ? from.onData(consumer, { reuseBuffer: toSocket })
        : from.read(consumer);
    reading.then(this.#onEof, this.#onReadFailed);
  }

  readonly #toSocketConsumer = (chunk: Buffer): void => {
    if (this.#pair.settled) return;
    this.bytes += chunk.length;
    const to = this.#to as Socket;
    if (!to.write(chunk, this.#written) && !to.canWrite) {
      // Shut or closed under us: nothing written now reaches the peer.
      this.#pair.fail(new SocketClosedError('send'), to);
      return;
    }
    // Not all taken: the pending write points into the chunk (perhaps the reused buffer).
    if (to.bufferedAmount > 0) this.#hold(to.bufferedAmount);
  };

  /** The callback of every write to a Socket: lifts the hold once all is taken. */
  readonly #written = (err?: Error | null): void => {
    if (err) {
      // The failure also comes as the stream's 'error' (a better report, naming the
      // address): let that go first; this one matters when nothing else reads `to`.
      setImmediate(() => this.#pair.fail(fromSystemError(err), this.#to));
      return;
    }
    if (this.#held && this.#to.bufferedAmount === 0) this.#release();
  };

  readonly #toSideConsumer = (chunk: Buffer): void => {
    if (this.#pair.settled) return;
    this.bytes += chunk.length;
    const to = this.#to;
    if (to.write(chunk) || this.#held) return;
    this.#hold(to.bufferedAmount);
    to.whenDrained().then(this.#release, this.#drainFailed);
  };

  #hold(buffered: number): void {
    this.#held = true;
    this.#from.pauseReading();
    if (relayPauseChannel.hasSubscribers) {
      relayPauseChannel.publish({ from: this.#fromLabel, to: this.#toLabel, buffered });
    }
  }

  readonly #release = (): void => {
    this.#held = false;
    if (!this.#pair.settled) this.#from.resumeReading();
  };

  readonly #drainFailed = (err: unknown): void => this.#pair.fail(err, this.#to);

  /** `from`'s EOF: passed on after its data; the other direction may go on. */
  readonly #onEof = (): void => {
    const pair = this.#pair;
    if (pair.settled) return;
    const to = this.#to;
    if (to instanceof Socket) {
      // Destroyed under us (its peer reset while nothing read it): no FIN can follow.
      if (!to.endWriting(this.#ended)) pair.fail(new SocketClosedError('shutdown'), to);
      return;
    }
    to.end().then(pair.directionDone, this.#endFailed);
  };

  /** Our FIN to a Socket is out (or could not be sent). */
  readonly #ended = (err?: Error | null): void => {
    // As in #written: the stream's own 'error' (naming the address) goes first.
    if (err) setImmediate(() => this.#pair.fail(fromSystemError(err), this.#to));
    else this.#pair.directionDone();
  };

  readonly #endFailed = (err: unknown): void => this.#pair.fail(err, this.#to);
  readonly #onReadFailed = (err: unknown): void => this.#pair.fail(err, this.#from);
}
