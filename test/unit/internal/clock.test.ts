import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, HrClock } from '../../../src/internal/clock.js';

/** A scripted wall clock (ms) and monotonic clock (ns) that tests move by hand. */
function fakeSources(startWallMs: number) {
  const state = { wallMs: startWallMs, monoNs: 5_000_000_000n };
  return {
    state,
    wallMs: () => state.wallMs,
    // Every monotonic read advances 1 µs, and the wall clock follows it, like real time.
    monotonicNs: () => {
      state.monoNs += 1000n;
      state.wallMs = startWallMsFor(state);
      return state.monoNs;
    },
  };
  function startWallMsFor(s: { monoNs: bigint; wallMs: number }): number {
    return Math.max(s.wallMs, startWallMs + Number((s.monoNs - 5_000_000_000n) / 1_000_000n));
  }
}

test('HrClock: anchors on a millisecond edge, then has nanosecond resolution', () => {
  const src = fakeSources(1_700_000_000_000);
  const clock = new HrClock({ wallMs: src.wallMs, monotonicNs: src.monotonicNs });
  // The anchor waited for the tick from ...000 to ...001 ms.
  assert.equal(clock.referenceTime(), 1_700_000_000_001n * 1_000_000n);
  const a = clock.now();
  const b = clock.now();
  assert.ok(b > a);
  assert.equal(b - a, 1000n); // one fake monotonic step
});

test('HrClock: re-anchors when the wall clock is stepped', () => {
  const src = fakeSources(1_700_000_000_000);
  const clock = new HrClock({ wallMs: src.wallMs, monotonicNs: src.monotonicNs });
  const before = clock.now();
  src.state.wallMs += 3_600_000; // an administrator sets the clock an hour ahead
  const after = clock.now();
  assert.ok(after - before > 3_599_000_000_000n, `${after - before}`);
  assert.ok(clock.referenceTime() >= BigInt(src.state.wallMs - 1) * 1_000_000n);
});

/**
 * A scripted true time (Unix ns) read through a monotonic clock (every read 100 ns later)
 * and a ms wall clock, with the preemptions of a loaded machine: `preemptAfterRead(n, ns)`
 * makes time jump by `ns` right after the n-th monotonic read, before whatever read follows.
 */
function scriptedSources(startUnixNs: bigint) {
  const MONO0 = 5_000_000_000n;
  const s = { t: startUnixNs, wallShiftNs: 0n, reads: 0, jumps: new Map<number, bigint>() };
  return {
    s,
    monotonicNs: () => {
      s.t += 100n;
      const mono = MONO0 + (s.t - startUnixNs);
      s.t += s.jumps.get(++s.reads) ?? 0n;
      return mono;
    },
    wallMs: () => Number((s.t + s.wallShiftNs) / 1_000_000n),
    preemptAfterRead: (n: number, ns: bigint) => s.jumps.set(s.reads + n, ns),
  };
}

const START = 1_700_000_000_000_123_456n; // 123.456 µs into a millisecond

test('HrClock: a tick seen only after a preemption is not taken for the anchor', () => {
  const src = scriptedSources(START);
  // Off the CPU for 2.7 ms right after the anchor's third monotonic read: "the first read
  // after Date.now() changed" would be 1.8 ms off. The next clean tick is used instead.
  src.preemptAfterRead(3, 2_700_000n);
  const clock = new HrClock({ wallMs: src.wallMs, monotonicNs: src.monotonicNs });
  const now = clock.now();
  const error = now - src.s.t;
  assert.ok(error >= -1000n && error <= 1000n, `off by ${error} ns`);
  assert.equal(clock.referenceTime() % 1_000_000n, 0n); // a millisecond edge
});

test('HrClock: a preemption between the two reads of now() is not a clock step', () => {
  const src = scriptedSources(START);
  const clock = new HrClock({ wallMs: src.wallMs, monotonicNs: src.monotonicNs });
  const reference = clock.referenceTime();
  src.preemptAfterRead(1, 3_000_000n); // Date.now() is read 3 ms after the monotonic clock
  const now = clock.now();
  assert.equal(clock.referenceTime(), reference, 'no re-anchor');
  const error = now - src.s.t;
  assert.ok(error >= -1000n && error <= 1000n, `off by ${error} ns`);
});

test('HrClock: a routine re-anchor does not go backwards; a real step back does', () => {
  const src = scriptedSources(START);
  const clock = new HrClock({
    wallMs: src.wallMs,
    monotonicNs: src.monotonicNs,
    reanchorIntervalMs: 10,
  });
  src.s.t += 9_990_000n;
  const a = clock.now();
  src.s.wallShiftNs = -1_500_000n; // the wall clock now says 1.5 ms earlier (within tolerance)
  src.s.t += 20_000n; // past the re-anchor interval: 1.5 ms back would be before `a`
  const b = clock.now();
  assert.equal(b, a, 'time stands still rather than run backwards');
  src.s.t += 5_000_000n;
  const c = clock.now();
  const error = c - (src.s.t - 1_500_000n);
  assert.ok(error >= -1000n && error <= 1000n, `follows the re-anchored wall clock: ${error} ns`);
  src.s.wallShiftNs -= 3_600_000_000_000n; // an administrator sets the clock an hour back
  const d = clock.now();
  assert.ok(c - d > 3_599_000_000_000n, `${c - d}`);
});

test('HrClock: real clocks agree with Date.now() within a few ms', () => {
  const clock = new HrClock();
  for (let i = 0; i < 5; i++) {
    const ms = Number(clock.now() / 1_000_000n);
    assert.ok(Math.abs(ms - Date.now()) <= 5);
  }
});

test('FakeClock: set and advance', () => {
  const c = new FakeClock(10n);
  c.advance(5n);
  assert.equal(c.now(), 15n);
  c.set(100n);
  assert.equal(c.now(), 100n);
  assert.equal(c.referenceTime(), 10n);
});
