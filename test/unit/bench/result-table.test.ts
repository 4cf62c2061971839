import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveBenchOptions } from '../../../src/bench/bench-options.js';
import { type BenchResult, emptyCounters, mergeSamples } from '../../../src/bench/bench-report.js';
import { formatMs, formatResultTable } from '../../../src/bench/result-table.js';

function result(patch: Partial<BenchResult> = {}): BenchResult {
  const counters = {
    ...emptyCounters(),
    ops: 1234,
    sent: 1234,
    bytesReceived: 78_976,
    connected: 4,
  };
  return {
    mode: 'rr',
    target: { host: 'localhost', address: '127.0.0.1', port: 7007 },
    options: resolveBenchOptions({ mode: 'rr', port: 7007, connections: 4, workers: 2 }),
    warmup: 0,
    elapsed: 1,
    counters,
    warmupCounters: emptyCounters(),
    opsPerSec: 1234,
    opsUnit: 'replies',
    mbPerSec: 0.079,
    latency: { count: 1234, mean: 0.2, p50: 0.15, p90: 0.3, p99: 1.25, p999: 12.5, max: 250 },
    cpu: { user: 0.5, system: 0.25, percentOfCore: 75 },
    workers: 2,
    errorSamples: [],
    verified: true,
    ...patch,
  };
}

describe('formatResultTable', () => {
  it('shows throughput, percentiles, problems, CPU and verification', () => {
    const text = formatResultTable(result());
    assert.match(text, /throughput\s+1,234 replies\/s\s+0\.08 MB\/s/);
    assert.match(
      text,
      /p50 0\.150 ms {2}p90 0\.300 ms {2}p99 1\.25 ms {2}p99\.9 12\.50 ms {2}max 250 ms/,
    );
    assert.match(text, /errors 0, mismatches 0, lost 0/);
    assert.match(text, /generator CPU\s+75% of one core/);
    assert.match(text, /verified\s+yes/);
    assert.match(text, /4 connections × 64 B request\/response; 2 worker threads/);
    assert.match(text, /time\s+1\.00 s\n/);
    assert.doesNotMatch(text, /warm-up/);
  });

  it('says how long the warm-up was and what it did', () => {
    const text = formatResultTable(
      result({ warmup: 1, warmupCounters: { ...emptyCounters(), ops: 500, sent: 500 } }),
    );
    assert.match(text, /time\s+1\.00 s measured, after a 1 s warm-up/);
    assert.match(text, /warm-up\s+500 replies, 500 sent, 0 lost \(verified, not measured\)/);
  });

  it('lists error samples and says NO when not verified', () => {
    const text = formatResultTable(
      result({ verified: false, errorSamples: ['connect ECONNREFUSED'] }),
    );
    assert.match(text, /verified\s+NO/);
    assert.match(text, /error\s+connect ECONNREFUSED/);
  });

  it('adds missing/reordered for fanout', () => {
    const options = resolveBenchOptions({ mode: 'fanout', port: 7, connections: 10, senders: 2 });
    const text = formatResultTable(result({ mode: 'fanout', options, opsUnit: 'lines delivered' }));
    assert.match(text, /missing 0, reordered 0/);
    assert.match(text, /10 clients, 2 senders, closed loop/);
  });
});

describe('helpers', () => {
  it('formatMs picks a precision by size', () => {
    assert.equal(formatMs(null), '-');
    assert.equal(formatMs(0.0123), '0.012 ms');
    assert.equal(formatMs(12.345), '12.35 ms');
    assert.equal(formatMs(1234.5), '1,235 ms');
  });

  it('mergeSamples keeps distinct messages up to a bound', () => {
    assert.deepEqual(
      mergeSamples(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        5,
      ),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(mergeSamples([['a', 'b', 'c']], 2), ['a', 'b']);
  });
});
