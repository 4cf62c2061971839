/**
 * How many requests a server handles at once: the answer to Python's mixins, as a
 * strategy object rather than a class hierarchy (ws `limiter.js`).
 *
 * - `concurrent` (the default): every request runs as soon as it arrives, interleaved on
 *   the event loop — what `ThreadingMixIn` gives Python, without threads.
 * - `serial`: one request at a time, the next waits its turn — Python's plain `TCPServer`,
 *   the first tutorial's echo server. For teaching and tests.
 * - a number `n`: at most `n` at a time, the rest wait in arrival order.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** The `concurrency` option of a server. */
export type Concurrency = 'concurrent' | 'serial' | number;

/** Runs jobs with at most `limit` of them in flight, the rest queued in arrival order. */
export class Limiter {
  readonly limit: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Takes a slot at once if one is free and no job waits for one, so a server can run a
   * request synchronously, without the promises of `run()`; the caller must `release()`
   * the slot when its job settles. False when the job would have to wait: use `run()`.
   */
  tryAcquire(): boolean {
    if (this.#running >= this.limit || this.#queue.length > 0) return false;
    this.#running++;
    return true;
  }

  /**
   * Calls `start` holding a slot: at once when `tryAcquire()` succeeds, otherwise when a
   * slot is handed over (in arrival order, from inside `release()`). The caller must
   * `release()` the slot when its job settles.
   */
  acquire(start: () => void): void {
    if (this.tryAcquire()) start();
    else this.#queue.push(start);
  }

  /** Gives back a slot (taken by `tryAcquire()`): the next waiting job gets it. */
  release(): void {
    const next = this.#queue.shift();
    // Hand the slot straight to the next job: `running` stays the same.
    if (next !== undefined) next();
    else this.#running--;
  }

  /** Runs `job` when a slot is free; resolves or rejects with its outcome. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (!this.tryAcquire()) {
      // A releasing job hands its slot over (`running` unchanged), so no increment here.
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    try {
      return await job();
    } finally {
      this.release();
    }
  }
}

/**
 * Turns the `concurrency` option into a limiter.
 * @throws {InvalidArgumentError} for anything but `concurrent`, `serial` or a positive integer.
 */
export function createLimiter(concurrency: Concurrency | undefined): Limiter {
  if (concurrency === undefined || concurrency === 'concurrent') {
    return new Limiter(Number.POSITIVE_INFINITY);
  }
  if (concurrency === 'serial') return new Limiter(1);
  if (typeof concurrency === 'number' && Number.isInteger(concurrency) && concurrency >= 1) {
    return new Limiter(concurrency);
  }
  throw new InvalidArgumentError(
    `concurrency must be 'concurrent', 'serial' or a positive integer, got ${String(concurrency)}`,
  );
}
