import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { RateLimiter, TokenBucket } from '../../../src/internal/rate-limiter.js';

test('a burst is allowed, then one kiss, then drops until tokens refill', () => {
  let now = 0;
  const rl = new RateLimiter({ rate: 2, burst: 3, nowMs: () => now });
  assert.deepEqual(
    [1, 2, 3].map(() => rl.take('a')),
    ['allow', 'allow', 'allow'],
  );
  assert.equal(rl.take('a'), 'kiss');
  assert.equal(rl.take('a'), 'drop');
  now += 499; // 0.998 tokens: not yet
  assert.equal(rl.take('a'), 'drop');
  now += 2; // 1 token
  assert.equal(rl.take('a'), 'allow');
  now += 10_000; // refills to the burst, never above
  assert.deepEqual(
    [1, 2, 3, 4].map(() => rl.take('a')),
    ['allow', 'allow', 'allow', 'kiss'],
  );
});

test('kisses are themselves limited to one per kissIntervalMs', () => {
  let now = 0;
  const rl = new RateLimiter({ rate: 0.001, burst: 1, kissIntervalMs: 1000, nowMs: () => now });
  rl.take('a');
  const verdicts: string[] = [];
  for (let i = 0; i < 30; i++) {
    verdicts.push(rl.take('a'));
    now += 100;
  }
  assert.equal(verdicts.filter((v) => v === 'kiss').length, 3);
});

test('clients are independent', () => {
  const rl = new RateLimiter({ burst: 1, nowMs: () => 0 });
  assert.equal(rl.take('a'), 'allow');
  assert.equal(rl.take('b'), 'allow');
  assert.equal(rl.take('a'), 'kiss');
});

test('memory is bounded: 50 000 clients in a 1000-entry table; the least recent goes first', () => {
  const rl = new RateLimiter({ burst: 1, maxEntries: 1000, nowMs: () => 0 });
  rl.take('keep');
  for (let i = 0; i < 50_000; i++) {
    rl.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 500 === 0) rl.take('keep'); // recently used: survives
    assert.ok(rl.size <= 1000);
  }
  assert.equal(rl.size, 1000);
  assert.equal(rl.evictions, 50_000 + 1 - 1000);
  assert.equal(rl.take('keep'), 'drop'); // still remembered (kissed already), so still limited
});

test('bad options are refused at construction', () => {
  assert.throws(() => new RateLimiter({ rate: 0 }), InvalidArgumentError);
  assert.throws(() => new RateLimiter({ burst: 0.5 }), InvalidArgumentError);
  assert.throws(() => new RateLimiter({ maxEntries: 0 }), InvalidArgumentError);
});

test('TokenBucket: a burst, then the rate, refilled with time', () => {
  {
    const b = new TokenBucket(10, 3, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.take(50), false, 'half a token after 50 ms at 10/s');
    assert.equal(b.take(100), true, 'one token after 100 ms');
    assert.equal(b.take(10_000), true);
    assert.ok(b.tokens <= 3, 'never more than the burst');
  }
});
