/**
 * A nanosecond wall clock: `process.hrtime.bigint()` (monotonic, ns resolution) anchored
 * to `Date.now()` (wall time, ms resolution).
 *
 * `Date.now()` alone would give every timestamp in a millisecond the same value, which
 * NTP clients see as jitter. The anchor is taken on a millisecond edge (waiting at most
 * ~2 ms for `Date.now()` to tick), so the hrtime-derived time is accurate to a few µs
 * rather than ±0.5 ms. Every read also compares against `Date.now()`: when the system
 * clock is stepped (by an NTP daemon or an administrator) the two disagree by more than
 * the step tolerance and the clock re-anchors, so a server never serves a stale offset.
 * It also re-anchors after `reanchorIntervalMs` to bound drift between the two clocks.
 * @module
 */

/** A source of Unix time in nanoseconds. The SNTP server reads time only through this. */
export interface Clock {
  /** Unix time now, in nanoseconds. */
  now(): bigint;
  /** When the clock was last set from the system wall clock (Unix ns): the NTP reference time. */
  referenceTime(): bigint;
}

/** Options of {@link HrClock}; the defaults suit a server. */
export interface HrClockOptions {
  /** How far (ms) hrtime-derived time may stray from `Date.now()` before re-anchoring. Default 2. */
  stepToleranceMs?: number;
  /** Re-anchor at least this often (ms). Default 64 000 (an NTP poll of 2^6 s). */
  reanchorIntervalMs?: number;
  /** Injected for tests: the wall clock in ms. */
  wallMs?: () => number;
  /** Injected for tests: a monotonic clock in ns. */
  monotonicNs?: () => bigint;
}

const NS_PER_MS = 1_000_000n;

/** The production clock (see the module comment). */
export class HrClock implements Clock {
  readonly #wallMs: () => number;
  readonly #monotonicNs: () => bigint;
  readonly #toleranceNs: bigint;
  readonly #reanchorNs: bigint;
  #anchorWallNs = 0n;
  #anchorMonoNs = 0n;

  constructor(options: HrClockOptions = {}) {
    this.#wallMs = options.wallMs ?? Date.now;
    this.#monotonicNs = options.monotonicNs ?? process.hrtime.bigint;
    this.#toleranceNs = BigInt(Math.round((options.stepToleranceMs ?? 2) * 1e6));
    this.#reanchorNs = BigInt(Math.round((options.reanchorIntervalMs ?? 64_000) * 1e6));
    this.#anchor();
  }

  now(): bigint {
    const mono = this.#monotonicNs();
    const elapsed = mono - this.#anchorMonoNs;
    const derived = this.#anchorWallNs + elapsed;
    const wall = BigInt(this.#wallMs()) * NS_PER_MS;
    // `wall` is floor(ms): the true time lies in [wall, wall + 1 ms).
    const drift = derived < wall ? wall - derived : derived - (wall + NS_PER_MS);
    if (drift > this.#toleranceNs || elapsed > this.#reanchorNs) {
      this.#anchor();
      return this.#anchorWallNs + (this.#monotonicNs() - this.#anchorMonoNs);
    }
    return derived;
  }

  referenceTime(): bigint {
    return this.#anchorWallNs;
  }

  /** Pairs a wall time with a monotonic time, at a millisecond edge when one comes soon. */
  #anchor(): void {
    const start = this.#wallMs();
    const startMono = this.#monotonicNs();
    let wall = start;
    let mono = startMono;
    // Bounded spin (≤ 2 ms of monotonic time, ≤ 100k reads) to catch the next ms tick.
    for (let i = 0; i < 100_000; i++) {
      mono = this.#monotonicNs();
      wall = this.#wallMs();
      if (wall !== start || mono - startMono > 2n * NS_PER_MS) break;
    }
    this.#anchorWallNs = BigInt(wall) * NS_PER_MS;
    this.#anchorMonoNs = mono;
  }
}

/** A clock that returns what a test sets: for era, leap and KoD tests. */
export class FakeClock implements Clock {
  #nowNs: bigint;
  #referenceNs: bigint;

  /** @param unixNs the initial time (also the reference time). */
  constructor(unixNs: bigint) {
    this.#nowNs = unixNs;
    this.#referenceNs = unixNs;
  }

  now(): bigint {
    return this.#nowNs;
  }

  referenceTime(): bigint {
    return this.#referenceNs;
  }

  /** Sets the time (Unix ns). */
  set(unixNs: bigint): void {
    this.#nowNs = unixNs;
  }

  /** Moves the time forward by `ns`. */
  advance(ns: bigint): void {
    this.#nowNs += ns;
  }
}
