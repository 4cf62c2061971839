import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MODE_DEFAULTS,
  resolveBenchOptions,
  shareOf,
  shareStart,
} from '../../../src/bench/bench-options.js';
import { InvalidArgumentError } from '../../../src/errors.js';

describe('resolveBenchOptions', () => {
  it('fills in the mode defaults and a bounded duration', () => {
    const o = resolveBenchOptions({ mode: 'rr', port: 7 });
    assert.equal(o.host, '127.0.0.1');
    assert.equal(o.connections, MODE_DEFAULTS.rr.connections);
    assert.equal(o.size, 64);
    assert.equal(o.duration, 10);
    assert.equal(o.count, 0);
    assert.equal(o.warmup, 0);
    assert.equal(o.allowRemote, false);
    assert.ok(o.workers >= 1);
  });

  it('keeps given values and ignores undefined ones', () => {
    const o = resolveBenchOptions({ mode: 'stream', port: 9, size: 1024, connections: undefined });
    assert.equal(o.size, 1024);
    assert.equal(o.connections, MODE_DEFAULTS.stream.connections);
  });

  it('caps workers at the number of connections', () => {
    const o = resolveBenchOptions({ mode: 'rr', port: 7, connections: 1, workers: 8 });
    assert.equal(o.workers, 1);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown mode', { mode: 'flood' }, /unknown mode "flood"/],
    ['port 0', { port: 0 }, /--port/],
    ['a fractional count', { count: 1.5 }, /--count/],
    ['a zero duration', { duration: 0 }, /--duration/],
    ['a negative warm-up', { warmup: -1 }, /--warmup must be a number of seconds from 0 to 3600/],
    ['a warm-up over an hour', { warmup: 3601 }, /--warmup must be .* to 3600, got 3601/],
    ['a NaN warm-up', { warmup: Number.NaN }, /--warmup/],
    ['too many connections', { connections: 1e9 }, /--connections/],
    ['a tiny rr request', { size: 2 }, /--size must be >= 4/],
  ];
  for (const [what, patch, message] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => resolveBenchOptions({ mode: 'rr', port: 7, ...patch } as never),
        (err: unknown) => err instanceof InvalidArgumentError && message.test(err.message),
      );
    });
  }

  it('accepts a warm-up of 0 to 3600 s, fractions included, in every mode but conns', () => {
    for (const mode of ['rr', 'stream', 'udp', 'fanout', 'sntp'] as const) {
      assert.equal(resolveBenchOptions({ mode, port: 7, warmup: 0.3 }).warmup, 0.3, mode);
    }
    assert.equal(resolveBenchOptions({ mode: 'rr', port: 7, warmup: 3600 }).warmup, 3600);
    assert.equal(resolveBenchOptions({ mode: 'conns', port: 7, warmup: 0 }).warmup, 0);
    assert.throws(
      () => resolveBenchOptions({ mode: 'conns', port: 7, warmup: 1 }),
      (err: unknown) =>
        err instanceof InvalidArgumentError &&
        /--warmup does not apply to conns mode/.test(err.message),
    );
  });

  it('rejects more fanout senders than clients, and oversize datagrams', () => {
    assert.throws(
      () => resolveBenchOptions({ mode: 'fanout', port: 7, connections: 3, senders: 4 }),
      /--senders \(4\) cannot exceed --connections \(3\)/,
    );
    assert.throws(() => resolveBenchOptions({ mode: 'udp', port: 7, size: 70_000 }), /65507/);
  });
});

describe('shareOf / shareStart', () => {
  it('splits evenly, the first parts taking the remainder', () => {
    assert.deepEqual(
      [0, 1, 2].map((i) => shareOf(10, 3, i)),
      [4, 3, 3],
    );
    assert.deepEqual(
      [0, 1, 2].map((i) => shareStart(10, 3, i)),
      [0, 4, 7],
    );
    let total = 0;
    for (let i = 0; i < 7; i++) total += shareOf(100, 7, i);
    assert.equal(total, 100);
  });
});
