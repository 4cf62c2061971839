/**
 * What every load shares with its workers and the main thread: a small
 * `SharedArrayBuffer` of counters read and written with `Atomics`, so progress, the
 * `--count` bound and the stop flag cost no messages and no allocation per operation.
 *
 * ```
 * Int32 slot  0 stop      main sets 1 on Ctrl-C / abort; workers stop sending
 *             1 claimed   operations started so far (the --count bound)
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

/** A worker's handle on the shared counters and its bounds. */
export class LoadControl {
  readonly #a: Int32Array;
  readonly #doneSlot: number;
  readonly #count: number;
  readonly #durationMs: number;
  #deadline = Number.POSITIVE_INFINITY;
  #startedAt = 0;
  #endedAt = 0;

  constructor(sab: SharedArrayBuffer, worker: number, count: number, durationS: number) {
    this.#a = new Int32Array(sab);
    this.#doneSlot = DONE_BASE + worker;
    this.#count = count;
    this.#durationMs = durationS * 1000;
  }

  /** Says this worker is connected, then waits for the common start (or a stop). */
  async ready(timeoutMs: number): Promise<void> {
    Atomics.add(this.#a, READY, 1);
    await waitFor(
      () => Atomics.load(this.#a, START) === 1 || Atomics.load(this.#a, STOP) === 1,
      timeoutMs,
      2,
    );
    this.#startedAt = performance.now();
    this.#deadline = this.#startedAt + this.#durationMs;
  }

  /** True while the measuring phase lasts: no stop, deadline ahead. */
  get running(): boolean {
    return Atomics.load(this.#a, STOP) === 0 && performance.now() < this.#deadline;
  }

  /** True once the main thread asked every worker to stop (Ctrl-C, hard bound). */
  get stopRequested(): boolean {
    return Atomics.load(this.#a, STOP) === 1;
  }

  /** Milliseconds left until the deadline (0 once past it). */
  get remainingMs(): number {
    return Math.max(0, this.#deadline - performance.now());
  }

  /** The absolute `performance.now()` deadline. */
  get deadline(): number {
    return this.#deadline;
  }

  /** Reserves one operation under `--count`; false once the bound is reached or stopped. */
  claim(): boolean {
    if (!this.running) return false;
    if (this.#count === 0) return true;
    return Atomics.add(this.#a, CLAIMED, 1) < this.#count;
  }

  /** Counts `n` completed operations for the progress bar. */
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

  /** Seconds from the start to {@link end} (or now). */
  get elapsed(): number {
    const end = this.#endedAt === 0 ? performance.now() : this.#endedAt;
    return Math.max(0, end - this.#startedAt) / 1000;
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
  counters: WorkerCounters;
  latency: LatencyHistogram;
  connectLatency: LatencyHistogram;
  /** fanout: the shared per-sender counters (see fanout-load.ts). */
  fanoutShared?: SharedArrayBuffer;
  /** Records an error message sample (a few distinct ones are kept). */
  note(err: unknown): void;
}
