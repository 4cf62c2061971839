/**
 * A nanosecond wall clock: `process.hrtime.bigint()` (monotonic, ns resolution) anchored
 * to `Date.now()` (wall time, ms resolution).
 *
 * `Date.now()` alone would give every timestamp in a millisecond the same value, which
 * NTP clients see as jitter. The anchor is the instant `Date.now()` ticks to the next
 * millisecond, found by reading both clocks in a tight loop. Each candidate tick is
 * bracketed by monotonic reads, and a bracket the process was preempted in (a loaded
 * machine does that, for milliseconds) is discarded: taking "the first read after the
 * value changed" as the tick would put the clock off by up to 1 ms, and two clocks (an
 * SNTP client's and a server's on one host) would disagree by more than a loopback
 * round trip, making T2 < T1 or T3 > T4. So the anchor is accurate to a few µs.
 *
 * Every read also compares against `Date.now()`: when the system clock is stepped (by an
 * NTP daemon or an administrator) the two disagree by more than the step tolerance and
 * the clock re-anchors, so a server never serves a stale offset. A disagreement that a
 * preemption between the two reads explains is not a step. The clock also re-anchors
 * after `reanchorIntervalMs` to bound drift between the two clocks; such a routine
 * re-anchor never moves time backwards (only a real step does), so two reads in a row —
 * a server's receive and transmit timestamps — are always in order.
 *
 * Shared by SNTP (server and client timestamps) and strftime (`%f` microseconds), so it
 * lives here rather than in either service.
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
/** A tick bracketed this tightly is taken at once (an unpreempted bracket is well under 1 µs). */
const GOOD_BRACKET_NS = 20_000n;
/** Ticks an anchor may bracket looking for a good one before it settles for the tightest. */
const ANCHOR_MAX_TICKS = 4;
/**
 * And at most this many loop turns (≈ 15 ms of CPU; 4 ticks take ≈ 30 000), should the wall
 * clock not tick. Turns, not elapsed time: on a loaded machine the process can be off the
 * CPU for 100 ms at once, which must not use up the budget before a tick was seen.
 */
const ANCHOR_MAX_TURNS = 100_000;

/** The production clock (see the module comment). */
export class HrClock implements Clock {
  readonly #wallMs: () => number;
  readonly #monotonicNs: () => bigint;
  readonly #toleranceNs: bigint;
  readonly #reanchorNs: bigint;
  #anchorWallNs = 0n;
  #anchorMonoNs = 0n;
  /** The latest time returned: a routine re-anchor never goes below it. */
  #last = 0n;

  constructor(options: HrClockOptions = {}) {
    this.#wallMs = options.wallMs ?? Date.now;
    this.#monotonicNs = options.monotonicNs ?? (() => process.hrtime.bigint());
    this.#toleranceNs = BigInt(Math.round((options.stepToleranceMs ?? 2) * 1e6));
    this.#reanchorNs = BigInt(Math.round((options.reanchorIntervalMs ?? 64_000) * 1e6));
    this.#anchor();
  }

  now(): bigint {
    const mono = this.#monotonicNs();
    const elapsed = mono - this.#anchorMonoNs;
    const derived = this.#anchorWallNs + elapsed;
    const wall = BigInt(this.#wallMs()) * NS_PER_MS;
    // `wall` is floor(ms), read after `mono`: the true time then lies in [wall, wall + 1 ms).
    if (derived > wall + NS_PER_MS + this.#toleranceNs) return this.#step();
    if (derived < wall - this.#toleranceNs) {
      // Behind the wall clock, or only preempted between the two reads: ask again.
      const later = this.#anchorWallNs + (this.#monotonicNs() - this.#anchorMonoNs);
      if (later < wall - this.#toleranceNs) return this.#step();
      return this.#forward(later);
    }
    if (elapsed > this.#reanchorNs) {
      this.#anchor();
      return this.#forward(this.#anchorWallNs + (this.#monotonicNs() - this.#anchorMonoNs));
    }
    return this.#forward(derived);
  }

  referenceTime(): bigint {
    return this.#anchorWallNs;
  }

  /** `t`, or the latest time returned if `t` is before it (a routine re-anchor's few µs). */
  #forward(t: bigint): bigint {
    if (t < this.#last) return this.#last;
    this.#last = t;
    return t;
  }

  /** The system clock was stepped: re-anchor and follow it, backwards too. */
  #step(): bigint {
    this.#anchor();
    this.#last = this.#anchorWallNs + (this.#monotonicNs() - this.#anchorMonoNs);
    return this.#last;
  }

  /**
   * Pairs a wall time with a monotonic time at the instant `Date.now()` ticks. A tick lies
   * between the reads of the old and the new value, so inside [a monotonic read before
   * the old value was read, one after the new value was]; the first tick bracketed within
   * `GOOD_BRACKET_NS` is taken at the bracket's middle, else the tightest of
   * `ANCHOR_MAX_TICKS` ticks (or of those seen in `ANCHOR_MAX_TURNS`), else the middle of
   * a millisecond.
   */
  #anchor(): void {
    const wallMs = this.#wallMs;
    const monotonicNs = this.#monotonicNs;
    let prevBefore = monotonicNs();
    let prevWall = wallMs();
    let bestWidth = -1n;
    let ticks = 0;
    for (let turn = 0; turn < ANCHOR_MAX_TURNS; turn++) {
      const before = monotonicNs();
      const wall = wallMs();
      const after = monotonicNs();
      // A jump of more than 1 ms is a step or a preemption, not a tick we can place.
      if (wall === prevWall + 1) {
        const width = after - prevBefore;
        if (bestWidth < 0n || width < bestWidth) {
          bestWidth = width;
          this.#anchorWallNs = BigInt(wall) * NS_PER_MS;
          this.#anchorMonoNs = prevBefore + width / 2n;
          if (width <= GOOD_BRACKET_NS) return;
        }
        if (++ticks >= ANCHOR_MAX_TICKS) break;
      }
      prevWall = wall;
      prevBefore = before;
    }
    // A tick placed to within ±0.5 ms beats the fallback below.
    if (bestWidth >= 0n && bestWidth <= NS_PER_MS) return;
    // No usable tick (the wall clock stood still, only jumped, or every bracket was
    // preempted): the middle of the current millisecond, from a read that was not preempted.
    let before = 0n;
    let wall = 0;
    let after = 0n;
    for (let turn = 0; turn < 100; turn++) {
      before = monotonicNs();
      wall = wallMs();
      after = monotonicNs();
      if (after - before <= GOOD_BRACKET_NS) break;
    }
    this.#anchorWallNs = BigInt(wall) * NS_PER_MS + NS_PER_MS / 2n;
    this.#anchorMonoNs = before + (after - before) / 2n;
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
