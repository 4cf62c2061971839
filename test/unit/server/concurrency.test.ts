import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLimiter, Limiter } from '../../../src/server/concurrency.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a limiter runs at most `limit` jobs at once, the rest in arrival order', async () => {
  const limiter = new Limiter(2);
  const order: string[] = [];
  const gates = new Map<string, () => void>();
  const job = (name: string) => () =>
    new Promise<void>((resolve) => {
      order.push(`start ${name}`);
      gates.set(name, () => {
        order.push(`end ${name}`);
        resolve();
      });
    });
  const all = ['a', 'b', 'c', 'd'].map((n) => limiter.run(job(n)));
  await tick();
  assert.deepEqual(order, ['start a', 'start b']);
  assert.equal(limiter.running, 2);
  assert.equal(limiter.pending, 2);
  gates.get('b')!();
  await tick();
  assert.deepEqual(order.slice(2), ['end b', 'start c']);
  gates.get('a')!();
  await tick();
  gates.get('c')!();
  await tick();
  gates.get('d')!();
  await Promise.all(all);
  assert.equal(limiter.running, 0);
  assert.deepEqual(
    order.filter((o) => o.startsWith('start')),
    ['start a', 'start b', 'start c', 'start d'],
  );
});

test('a failing job frees its slot and rejects its own promise only', async () => {
  const limiter = new Limiter(1);
  const failed = limiter.run(async () => {
    throw new Error('job failed');
  });
  const next = limiter.run(async () => 'next ran');
  await assert.rejects(failed, /job failed/);
  assert.equal(await next, 'next ran');
  assert.equal(limiter.running, 0);
});

test('createLimiter maps the concurrency option', () => {
  assert.equal(createLimiter(undefined).limit, Number.POSITIVE_INFINITY);
  assert.equal(createLimiter('concurrent').limit, Number.POSITIVE_INFINITY);
  assert.equal(createLimiter('serial').limit, 1);
  assert.equal(createLimiter(8).limit, 8);
  assert.throws(() => createLimiter(0), { name: 'InvalidArgumentError' });
  assert.throws(() => createLimiter('threads' as 'serial'), { name: 'InvalidArgumentError' });
});

test('tryAcquire takes a free slot at once, never one a waiting job is owed', async () => {
  const limiter = new Limiter(1);
  assert.equal(limiter.tryAcquire(), true);
  assert.equal(limiter.running, 1);
  assert.equal(limiter.tryAcquire(), false);
  const order: string[] = [];
  const queued = limiter.run(async () => {
    order.push('queued');
  });
  assert.equal(limiter.pending, 1);
  // The slot is handed to the waiting job on release: a newcomer cannot jump the queue.
  limiter.release();
  assert.equal(limiter.tryAcquire(), false);
  await queued;
  assert.deepEqual(order, ['queued']);
  assert.equal(limiter.running, 0);
  assert.equal(limiter.tryAcquire(), true);
  limiter.release();
  assert.equal(limiter.running, 0);
});
