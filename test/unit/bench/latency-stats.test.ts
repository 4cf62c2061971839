import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createLatencyHistogram,
  encodeHistogram,
  mergeEncoded,
  recordMs,
  summarize,
} from '../../../src/bench/latency-stats.js';

describe('latency stats', () => {
  it('summarises an empty histogram as nulls', () => {
    const h = createLatencyHistogram();
    assert.deepEqual(summarize(h), {
      count: 0,
      mean: null,
      p50: null,
      p90: null,
      p99: null,
      p999: null,
      max: null,
    });
  });

  it('gives percentiles in ms within 0.1%', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(h, i / 100); // 0.01 ms … 10 ms
    const s = summarize(h);
    assert.equal(s.count, 1000);
    const near = (a: number | null, b: number) =>
      a !== null && Math.abs(a - b) <= b * 0.002 + 0.001;
    assert.ok(near(s.p50, 5), `p50 ${s.p50}`);
    assert.ok(near(s.p90, 9), `p90 ${s.p90}`);
    assert.ok(near(s.p99, 9.9), `p99 ${s.p99}`);
    assert.ok(near(s.max, 10), `max ${s.max}`);
  });

  it('clamps sub-microsecond and negative values to 1 µs', () => {
    const h = createLatencyHistogram();
    recordMs(h, 0);
    recordMs(h, -3);
    assert.equal(summarize(h).max, 0.001);
  });

  it('merges encoded histograms from several workers', () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    for (let i = 0; i < 100; i++) recordMs(a, 1);
    for (let i = 0; i < 100; i++) recordMs(b, 3);
    const all = createLatencyHistogram();
    mergeEncoded(all, encodeHistogram(a));
    mergeEncoded(all, encodeHistogram(b));
    const s = summarize(all);
    assert.equal(s.count, 200);
    assert.ok(s.p50 !== null && s.p50 <= 1.001);
    assert.ok(s.p99 !== null && Math.abs(s.p99 - 3) < 0.01);
  });
});
