import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FrameTooLongError,
  IncompleteReadError,
  TruncatedFrameError,
} from '../../../src/errors.js';
import { FrameReader } from '../../../src/framing/frame-reader.js';
import { ByteQueue } from '../../../src/internal/byte-queue.js';
import {
  chunkAttempt,
  exactlyAttempt,
  frameAttempt,
  recvAttempt,
  untilAttempt,
} from '../../../src/socket/read-attempts.js';
import { MORE } from '../../../src/socket/receive-buffer.js';

const where = () => ({ address: '127.0.0.1', port: 1 });

function queueOf(...chunks: string[]): ByteQueue {
  const q = new ByteQueue();
  for (const c of chunks) q.push(Buffer.from(c));
  return q;
}

test('recv takes up to maxBytes, MORE when empty, empty at EOF', () => {
  const q = queueOf('ab', 'cd');
  assert.equal((recvAttempt(3)(q, false) as Buffer).toString(), 'abc');
  assert.equal((recvAttempt(3)(q, false) as Buffer).toString(), 'd');
  assert.equal(recvAttempt(3)(q, false), MORE);
  assert.equal((recvAttempt(3)(q, true) as Buffer).length, 0);
});

test('chunks come out whole and zero-copy, capped at the limit; null at EOF', () => {
  const q = queueOf('hello', 'world');
  assert.equal((chunkAttempt(3)(q, false) as Buffer).toString(), 'hel');
  assert.equal((chunkAttempt(64)(q, false) as Buffer).toString(), 'lo');
  assert.equal((chunkAttempt(64)(q, false) as Buffer).toString(), 'world');
  assert.equal(chunkAttempt(64)(q, false), MORE);
  assert.equal(chunkAttempt(64)(q, true), null);
});

test('exactly: all or nothing; at EOF an IncompleteReadError that leaves the bytes', () => {
  const q = queueOf('abc');
  assert.equal(exactlyAttempt(4, where)(q, false), MORE);
  assert.throws(() => exactlyAttempt(4, where)(q, true), IncompleteReadError);
  assert.equal(q.length, 3);
  assert.equal((exactlyAttempt(3, where)(q, false) as Buffer).toString(), 'abc');
});

test('until: a delimiter split across chunks and pushes, found without rescanning errors', () => {
  const q = new ByteQueue();
  const attempt = untilAttempt(Buffer.from('\r\n'), 100, false, where);
  for (const c of ['li', 'ne', '\r']) {
    q.push(Buffer.from(c));
    assert.equal(attempt(q, false), MORE);
  }
  q.push(Buffer.from('\nnext'));
  assert.equal((attempt(q, false) as Buffer).toString(), 'line');
  assert.equal(q.length, 4);
});

test('until: the limit counts the delimiter; exactly at the limit passes, one over fails', () => {
  assert.equal(
    (untilAttempt(Buffer.from('\n'), 4, true, where)(queueOf('abc\n'), false) as Buffer).toString(),
    'abc\n',
  );
  const q = queueOf('abcd\n');
  assert.throws(() => untilAttempt(Buffer.from('\n'), 4, true, where)(q, false), FrameTooLongError);
  assert.equal(q.length, 5, 'nothing consumed');
  const noDelim = queueOf('abcdef');
  assert.throws(
    () => untilAttempt(Buffer.from('\n'), 4, true, where)(noDelim, false),
    FrameTooLongError,
  );
  assert.throws(
    () => untilAttempt(Buffer.from('\n'), 40, true, where)(noDelim, true),
    IncompleteReadError,
  );
});

test('frames: one frame per step, leftovers at EOF are a TruncatedFrameError', () => {
  const q = queueOf('a\nb', '\nc');
  const reader = new FrameReader<string>(
    {
      decode(buf) {
        const at = buf.indexOf(0x0a);
        return at === -1 ? null : buf.take(at + 1).toString();
      },
    },
    q,
  );
  const step = frameAttempt(reader);
  assert.deepEqual(step(q, false), { frame: 'a\n' });
  assert.deepEqual(step(q, false), { frame: 'b\n' });
  assert.equal(step(q, false), MORE);
  assert.throws(() => step(q, true), TruncatedFrameError);
});
