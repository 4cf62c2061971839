import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatagramQueue } from '../../../src/socket/datagram-queue.js';

const from = { family: 'IPv4' as const, address: '127.0.0.1', port: 9 };
const wait = { timeoutMs: null, onTimeout: () => new Error('timeout') };

test('queued datagrams come out in order; a waiter gets the next one', async () => {
  const q = new DatagramQueue();
  q.push({ data: Buffer.from('a'), address: from });
  assert.equal((await q.shift(wait)).data.toString(), 'a');
  const p = q.shift(wait);
  q.push({ data: Buffer.from('b'), address: from });
  assert.equal((await p).data.toString(), 'b');
});

test('limits drop the oldest datagrams, by count and by bytes', () => {
  const byCount = new DatagramQueue({ maxDatagrams: 2 });
  for (const s of ['1', '2', '3']) byCount.push({ data: Buffer.from(s), address: from });
  assert.equal(byCount.dropped, 1);
  assert.equal(byCount.length, 2);
  const byBytes = new DatagramQueue({ maxBytes: 10 });
  byBytes.push({ data: Buffer.alloc(6), address: from });
  byBytes.push({ data: Buffer.alloc(6), address: from });
  assert.equal(byBytes.dropped, 1);
  // A single datagram larger than the byte limit is still kept: it is the newest.
  byBytes.push({ data: Buffer.alloc(50), address: from });
  assert.equal(byBytes.length, 1);
});

test('timeouts, wouldBlock, failOne and close', async () => {
  const q = new DatagramQueue();
  await assert.rejects(q.shift({ timeoutMs: 5, onTimeout: () => new Error('t/o') }), /t\/o/);
  await assert.rejects(q.shift({ ...wait, wouldBlock: () => new Error('EAGAIN') }), /EAGAIN/);
  assert.equal(q.failOne(new Error('x')), false);
  const p = q.shift(wait);
  assert.equal(q.failOne(new Error('refused')), true);
  await assert.rejects(p, /refused/);
  const p2 = q.shift(wait);
  q.close(new Error('closed'));
  await assert.rejects(p2, /closed/);
  await assert.rejects(q.shift(wait), /closed/);
});
