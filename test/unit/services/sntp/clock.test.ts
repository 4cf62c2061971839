import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, HrClock } from '../../../../src/services/sntp/clock.js';

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
