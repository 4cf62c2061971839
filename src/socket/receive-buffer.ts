/**
 * The one receive buffer of a socket: a `ByteQueue` plus the FIFO of reads waiting on it.
 *
 * ```
 *  onData consumer ──► push() ──► ByteQueue ──► pump(): pending[0].attempt(queue)
 *        ▲                             │           ├─ value  → resolve, shift, next
 *        └── pauseReading() ◄──────────┘           ├─ throws → reject, shift, next
 *            resumeReading()                       └─ MORE   → wait for more bytes
 *            (high-water mark)
 * ```
 *
 * Every read (`recv`, `recvExactly`, `recvUntil`, a frame, a chunk of iteration) is an
 * `attempt` function that either takes what it needs from the queue in one synchronous
 * step or takes nothing. Reads complete strictly in call order, and a read that times
 * out or is aborted (its `signal`) is simply removed from the FIFO before it took
 * anything, so bytes are never lost, duplicated or reordered whatever mix of reads,
 * timeouts and aborts the caller uses: the next read gets them.
 *
 * Flow control (after ws `socketOnData`/`receiverOnDrain`): when nobody waits and the
 * queue holds `highWaterMark` bytes or more, the source is paused; it resumes as soon as
 * the queue drops below the mark or a read needs more bytes than are queued (so a
 * `recvExactly(n)` with `n` above the mark still completes).
 *
 * @module
 */
import { onAbort } from '../internal/abort-signal.js';
import { ByteQueue } from '../internal/byte-queue.js';

/** Returned by an attempt that needs more bytes than are queued. */
export const MORE: unique symbol = Symbol('socketkit.more');

/**
 * Takes one result off the queue in one step, or nothing.
 * @param queue the receive queue.
 * @param eof true once no more bytes will come: the attempt must then return a final
 *   value or throw; it must not return `MORE`.
 */
export type ReadAttempt<T> = (queue: ByteQueue, eof: boolean) => T | typeof MORE;

/** Where the bytes come from: paused and resumed for flow control. */
export interface ReadSource {
  pauseReading(): void;
  resumeReading(): void;
}

/** How one read waits. */
export interface ReadWait {
  /** Milliseconds before the read gives up, or null to wait for ever. */
  timeoutMs: number | null;
  /** The error a timed-out read rejects with. */
  onTimeout: () => Error;
  /** When set, the read rejects at once with this error instead of waiting. */
  wouldBlock?: (() => Error) | null;
  /** Aborts the read (it rejects with `signal.reason`, having taken nothing). */
  signal?: AbortSignal | undefined;
}

interface Pending {
  attempt: ReadAttempt<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  /** Removes the abort listener; null when the read has no signal (no listener, no closure). */
  unlisten: (() => void) | null;
}

/** The default high-water mark of a socket's receive buffer: 1 MiB. */
export const DEFAULT_RECEIVE_HIGH_WATER_MARK = 1024 * 1024;

/** A socket's receive queue and its waiting reads. */
export class ReceiveBuffer {
  /** The queued bytes; frame readers decode straight from it. */
  readonly queue = new ByteQueue();
  readonly #highWaterMark: number;
  #source: ReadSource | null = null;
  #paused = false;
  #pending: Pending[] = [];
  #eof = false;
  #error: Error | null = null;
  #abort: Error | null = null;

  constructor(highWaterMark = DEFAULT_RECEIVE_HIGH_WATER_MARK) {
    this.#highWaterMark = highWaterMark;
  }

  /** Connects the byte source that flow control pauses and resumes. */
  attach(source: ReadSource): void {
    this.#source = source;
    this.#paused = false;
    this.#flow();
  }

  /**
   * Disconnects the byte source (the connection switched to push mode): this buffer no
   * longer pauses or resumes it, so a hold it took cannot be lifted on someone else's
   * behalf later.
   */
  detach(): void {
    this.#source = null;
    this.#paused = false;
  }

  /** True once the peer finished sending (or the stream failed or was aborted). */
  get ended(): boolean {
    return this.#eof || this.#error !== null || this.#abort !== null;
  }

  /** True while the source is paused because the queue is full. */
  get paused(): boolean {
    return this.#paused;
  }

  /** How many reads are waiting. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Adds received bytes. */
  push(chunk: Uint8Array): void {
    if (this.#abort !== null) return;
    this.queue.push(chunk);
    this.#pump();
  }

  /** The peer will send nothing more: waiting reads see EOF once the queue is drained. */
  end(): void {
    this.#eof = true;
    this.#pump();
  }

  /** The stream failed: queued bytes can still be read, then reads reject with `err`. */
  fail(err: Error): void {
    if (this.#error === null) this.#error = err;
    this.#pump();
  }

  /**
   * The socket was closed locally: every waiting and future read rejects with `err`,
   * and queued bytes are dropped (as the kernel drops them when a fd is closed).
   */
  abort(err: Error): void {
    if (this.#abort === null) this.#abort = err;
    this.queue.clear();
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      settled(p);
      p.reject(err);
    }
  }

  /**
   * Queues a read. It completes in FIFO order with the other reads.
   * @returns the attempt's value; rejects with its error, the stream's error, or a timeout.
   */
  read<T>(attempt: ReadAttempt<T>, wait: ReadWait): Promise<T> {
    if (this.#abort !== null) return Promise.reject(this.#abort);
    const signal = wait.signal;
    // Already aborted: rejects before taking anything, even when bytes are queued.
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.#pending.length === 0) {
      try {
        const value = this.#try(attempt);
        if (value !== MORE) {
          this.#flow();
          return Promise.resolve(value);
        }
      } catch (err) {
        this.#flow();
        return Promise.reject(err);
      }
    }
    if (wait.wouldBlock) return Promise.reject(wait.wouldBlock());
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        attempt,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: undefined,
        unlisten: null,
      };
      if (wait.timeoutMs !== null) {
        pending.timer = setTimeout(() => this.#giveUp(pending, wait.onTimeout()), wait.timeoutMs);
      }
      if (signal !== undefined) {
        pending.unlisten = onAbort(signal, () => this.#giveUp(pending, signal.reason));
      }
      this.#pending.push(pending);
      this.#flow();
    });
  }

  /**
   * A waiting read times out or is aborted: it leaves the FIFO having taken nothing, so
   * its bytes stay queued for the next read.
   */
  #giveUp(pending: Pending, err: unknown): void {
    const i = this.#pending.indexOf(pending);
    if (i === -1) return;
    this.#pending.splice(i, 1);
    settled(pending);
    pending.reject(err);
    // The reads behind it may be satisfiable now (FIFO order no longer blocks them).
    this.#pump();
  }

  /** Runs an attempt against the current state; `MORE` means wait. Throws to reject. */
  #try<T>(attempt: ReadAttempt<T>): T | typeof MORE {
    const value = attempt(this.queue, false);
    if (value !== MORE) return value;
    if (this.#error !== null) throw this.#error;
    if (!this.#eof) return MORE;
    const last = attempt(this.queue, true);
    if (last === MORE) throw new Error('read attempt returned MORE at end of stream');
    return last;
  }

  #pump(): void {
    while (this.#pending.length > 0) {
      const head = this.#pending[0]!;
      let value: unknown;
      try {
        value = this.#try(head.attempt);
      } catch (err) {
        this.#pending.shift();
        settled(head);
        head.reject(err);
        continue;
      }
      if (value === MORE) break;
      this.#pending.shift();
      settled(head);
      head.resolve(value);
    }
    this.#flow();
  }

  /** Pauses the source while the queue is full and nobody waits; resumes otherwise. */
  #flow(): void {
    const source = this.#source;
    if (source === null) return;
    const full = this.queue.length >= this.#highWaterMark && this.#pending.length === 0;
    if (full && !this.#paused) {
      this.#paused = true;
      source.pauseReading();
    } else if (!full && this.#paused) {
      this.#paused = false;
      source.resumeReading();
    }
  }
}

/** A waiting read settles: its timer and its abort listener go. */
function settled(p: Pending): void {
  clearTimeout(p.timer);
  if (p.unlisten !== null) p.unlisten();
}
