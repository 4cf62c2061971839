/**
 * What every load shares with its workers and the main thread: a small
 * `SharedArrayBuffer` of counters read and written with `Atomics`, so progress, the
 * `--count` bound and the stop flag cost no messages and no allocation per operation.
 *
 * ```
 * Int32 slot  0 stop      main sets 1 on Ctrl-C / abort; workers stop sending
 *             1 claimed   measured operations started so far (the --count bound)
 *             2 ready     workers that finished connecting
 *             3 start     main sets 1 once every worker is ready (one common start)
 *             4 holding   conns: workers holding their connections
 *             5 spare
 *             6+w done    operations completed by worker w (the progress bar)
 * ```
 * @module
 */
import type { BenchOptions } from '../bench-options.js';
import type { WorkerCounters } from '../bench-report.js';
import type { LatencyHistogram } from '../latency-stats.js';

const STOP = 0;
const CLAIMED = 1;
const READY = 2;
const START = 3;
const HOLDING = 4;
const DONE_BASE = 6;

/** Allocates the shared counters for `workers` workers. */
export function createSharedCounters(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer((DONE_BASE + workers) * 4);
}

/** The main thread's view of the shared counters. */
export class SharedView {
  readonly #a: Int32Array;
  readonly #workers: number;
  constructor(sab: SharedArrayBuffer, workers: number) {
    this.#a = new Int32Array(sab);
    this.#workers = workers;
  }
  /** Workers that finished connecting. */
  get ready(): number {
    return Atomics.load(this.#a, READY);
  }
  /** Workers holding their connections (conns mode). */
  get holding(): number {
    return Atomics.load(this.#a, HOLDING);
  }
  /** Operations completed by all workers so far. */
  get done(): number {
    let sum = 0;
    for (let w = 0; w < this.#workers; w++) sum += Atomics.load(this.#a, DONE_BASE + w);
    return sum;
  }
  /** Starts every worker's measuring phase at once. */
  start(): void {
    Atomics.store(this.#a, START, 1);
  }
  /** Tells every worker to stop sending and drain. */
  stop(): void {
    Atomics.store(this.#a, STOP, 1);
  }
}

/** Polls `test` every `everyMs` until it is true or `timeoutMs` passed. */
export async function waitFor(
  test: () => boolean,
  timeoutMs: number,
  everyMs = 5,
): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}

/**
 * What {@link LoadControl.claim} grants: nothing (the run is over or `--count` reached),
 * a measured operation, or a warm-up operation.
 */
export const Claim = { none: 0, measured: 1, warmup: 2 } as const;

/** One of {@link Claim}. */
export type ClaimResult = (typeof Claim)[keyof typeof Claim];

/**
 * A worker's handle on the shared counters and its bounds.
 *
 * The run has two phases from the common start: the warm-up (`warmup` seconds, maybe 0)
 * and the measuring phase (`duration` seconds). An operation belongs to the phase in
 * which it was *issued* ({@link claim} says which): one sent during the warm-up and
 * answered after it is a warm-up operation, so the measured counters stay consistent
 * (ops + lost = sent) and its cold latency stays out of the histogram.
 */
export class LoadControl {
  readonly #a: Int32Array;
  readonly #doneSlot: number;
  readonly #count: number;
  readonly #durationMs: number;
  readonly #warmupMs: number;
  #deadline = Number.POSITIVE_INFINITY;
  /** When the measuring phase starts (the end of the warm-up). */
  #measureFrom = Number.POSITIVE_INFINITY;
  #endedAt = 0;

  constructor(
    sab: SharedArrayBuffer,
    worker: number,
    bounds: { count: number; duration: number; warmup: number },
  ) {
    this.#a = new Int32Array(sab);
    this.#doneSlot = DONE_BASE + worker;
    this.#count = bounds.count;
    this.#durationMs = bounds.duration * 1000;
    this.#warmupMs = bounds.warmup * 1000;
  }

  /** Says this worker is connected, then waits for the common start (or a stop). */
  async ready(timeoutMs: number): Promise<void> {
    Atomics.add(this.#a, READY, 1);
    await waitFor(
      () => Atomics.load(this.#a, START) === 1 || Atomics.load(this.#a, STOP) === 1,
      timeoutMs,
      2,
    );
    this.#measureFrom = performance.now() + this.#warmupMs;
    this.#deadline = this.#measureFrom + this.#durationMs;
  }

  /** True while the load lasts (warm-up and measuring phase): no stop, deadline ahead. */
  get running(): boolean {
    return Atomics.load(this.#a, STOP) === 0 && performance.now() < this.#deadline;
  }

  /** True once the warm-up is over (always, without one, once started). */
  get measuring(): boolean {
    return performance.now() >= this.#measureFrom;
  }

  /** True once the main thread asked every worker to stop (Ctrl-C, hard bound). */
  get stopRequested(): boolean {
    return Atomics.load(this.#a, STOP) === 1;
  }

  /** Milliseconds left until the deadline (0 once past it), the warm-up included. */
  get remainingMs(): number {
    return Math.max(0, this.#deadline - performance.now());
  }

  /** The absolute `performance.now()` deadline. */
  get deadline(): number {
    return this.#deadline;
  }

  /**
   * Reserves one operation: `Claim.none` once the deadline passed, a stop was asked or
   * `--count` measured operations were claimed; else the phase the operation belongs to.
   * Warm-up operations do not count towards `--count`.
   */
  claim(): ClaimResult {
    if (Atomics.load(this.#a, STOP) === 1) return Claim.none;
    const now = performance.now();
    if (now >= this.#deadline) return Claim.none;
    if (now < this.#measureFrom) return Claim.warmup;
    if (this.#count === 0) return Claim.measured;
    return Atomics.add(this.#a, CLAIMED, 1) < this.#count ? Claim.measured : Claim.none;
  }

  /** Counts `n` completed measured operations for the progress bar. */
  done(n = 1): void {
    Atomics.add(this.#a, this.#doneSlot, n);
  }

  /** conns: this worker holds its connections. */
  holding(): void {
    Atomics.add(this.#a, HOLDING, 1);
  }

  /** Marks the end of the measuring phase (before draining). */
  end(): void {
    if (this.#endedAt === 0) this.#endedAt = performance.now();
  }

  /** Seconds from the end of the warm-up to {@link end} (or now); 0 if it never began. */
  get elapsed(): number {
    const end = this.#endedAt === 0 ? performance.now() : this.#endedAt;
    return Math.max(0, end - this.#measureFrom) / 1000;
  }
}

/** Everything a load function needs; it fills `counters` and the histograms. */
export interface LoadContext {
  options: BenchOptions;
  /** The resolved target address (checked loopback unless --allow-remote). */
  address: string;
  family: 4 | 6;
  /** This worker's index and the number of workers. */
  worker: number;
  workers: number;
  control: LoadControl;
  /**
   * The measured phase's counters, plus every failure of the whole run (errors,
   * mismatches, missing, reordered: the warm-up verifies too).
   */
  counters: WorkerCounters;
  /** The warm-up's operations, sends, bytes and losses (never its failures). */
  warmupCounters: WorkerCounters;
  /** Latency of measured operations only. */
  latency: LatencyHistogram;
  connectLatency: LatencyHistogram;
  /** fanout: the shared per-sender counters (see fanout-load.ts). */
  fanoutShared?: SharedArrayBuffer;
  /** Records an error message sample (a few distinct ones are kept). */
  note(err: unknown): void;
}
