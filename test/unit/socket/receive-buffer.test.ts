import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MORE, type ReadAttempt, ReceiveBuffer } from '../../../src/socket/receive-buffer.js';

const forever = { timeoutMs: null, onTimeout: () => new Error('timeout') };
const take =
  (n: number): ReadAttempt<Buffer> =>
  (q, eof) =>
    q.length >= n ? q.take(n) : eof ? q.takeAll() : MORE;

test('a read completes synchronously when the bytes are queued, and waits otherwise', async () => {
  const rb = new ReceiveBuffer();
  rb.push(Buffer.from('abc'));
  assert.equal((await rb.read(take(2), forever)).toString(), 'ab');
  const pending = rb.read(take(3), forever);
  assert.equal(rb.waiting, 1);
  rb.push(Buffer.from('de'));
  assert.equal((await pending).toString(), 'cde');
});

test('reads complete in FIFO order; a timed-out read takes nothing and unblocks the next', async () => {
  const rb = new ReceiveBuffer();
  const first = rb.read(take(10), { timeoutMs: 10, onTimeout: () => new Error('t/o') });
  const second = rb.read(take(2), forever);
  rb.push(Buffer.from('xyz'));
  await assert.rejects(first, /t\/o/);
  assert.equal((await second).toString(), 'xy');
  assert.equal(rb.queue.length, 1);
});

test('EOF: attempts are called with eof=true; fail() rejects after the queued bytes', async () => {
  const rb = new ReceiveBuffer();
  rb.push(Buffer.from('q'));
  rb.end();
  assert.equal((await rb.read(take(5), forever)).toString(), 'q');
  assert.equal((await rb.read(take(5), forever)).length, 0);
  const rb2 = new ReceiveBuffer();
  rb2.push(Buffer.from('12'));
  rb2.fail(new Error('reset'));
  assert.equal((await rb2.read(take(2), forever)).toString(), '12');
  await assert.rejects(rb2.read(take(1), forever), /reset/);
  assert.ok(rb2.ended);
});

test('abort rejects pending and future reads and drops queued bytes', async () => {
  const rb = new ReceiveBuffer();
  rb.push(Buffer.from('left'));
  const p = rb.read(take(10), forever);
  rb.abort(new Error('closed'));
  await assert.rejects(p, /closed/);
  await assert.rejects(rb.read(take(1), forever), /closed/);
  assert.equal(rb.queue.length, 0);
});

test('wouldBlock rejects at once instead of waiting', async () => {
  const rb = new ReceiveBuffer();
  await assert.rejects(
    rb.read(take(1), { ...forever, wouldBlock: () => new Error('EAGAIN') }),
    /EAGAIN/,
  );
  assert.equal(rb.waiting, 0);
});

test('flow control: pause above the high-water mark when nobody waits, resume when drained', async () => {
  const rb = new ReceiveBuffer(10);
  const calls: string[] = [];
  rb.attach({
    pauseReading: () => calls.push('pause'),
    resumeReading: () => calls.push('resume'),
  });
  rb.push(Buffer.alloc(6));
  assert.deepEqual(calls, []);
  rb.push(Buffer.alloc(6));
  assert.deepEqual(calls, ['pause']);
  assert.ok(rb.paused);
  await rb.read(take(4), forever);
  assert.deepEqual(calls, ['pause', 'resume']);
  rb.push(Buffer.alloc(4));
  assert.deepEqual(calls, ['pause', 'resume', 'pause']);
  // A read that needs more than is queued resumes the source even above the mark.
  const big = rb.read(take(100), forever);
  assert.deepEqual(calls, ['pause', 'resume', 'pause', 'resume']);
  rb.push(Buffer.alloc(88));
  assert.equal((await big).length, 100);
});

test('an attempt that throws rejects only its own read', async () => {
  const rb = new ReceiveBuffer();
  const bad = rb.read<Buffer>(() => {
    throw new Error('corrupt');
  }, forever);
  await assert.rejects(bad, /corrupt/);
  rb.push(Buffer.from('ok'));
  assert.equal((await rb.read(take(2), forever)).toString(), 'ok');
});

test('property: any chunking and any read sizes reconstruct the stream', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      async (bytes, cuts, reads) => {
        const rb = new ReceiveBuffer(16);
        rb.attach({ pauseReading: () => {}, resumeReading: () => {} });
        const out: Buffer[] = [];
        const reading = (async () => {
          for (let i = 0; ; i++) {
            const b = await rb.read(take(reads[i % reads.length]!), forever);
            if (b.length === 0) return;
            out.push(b);
          }
        })();
        for (let at = 0, k = 0; at < bytes.length; k++) {
          const n = cuts[k % cuts.length]!;
          rb.push(bytes.slice(at, at + n));
          at += n;
          if (k % 2 === 0) await Promise.resolve();
        }
        rb.end();
        await reading;
        assert.deepEqual(Buffer.concat(out), Buffer.from(bytes));
      },
    ),
    { numRuns: 300 },
  );
});
