// Issue 10, defect 17: the frame reader kept buffering after a final error (one that
// consumed no byte: a corrupt length header, a too-long frame with discardOnOverflow
// false), so a peer could make it hold any amount of memory by sending on. Now the reader
// keeps nothing after such an error and every call throws it again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CorruptFrameError, FrameTooLongError } from '../../src/errors.js';
import { FrameReader } from '../../src/framing/frame-reader.js';
import { LengthPrefixedCodec } from '../../src/framing/length-prefixed.js';
import { LineCodec } from '../../src/framing/line.js';

const MiB = Buffer.alloc(1 << 20, 0x61);

test('after a corrupt length header, pushed bytes are dropped and the error repeats', () => {
  const reader = new FrameReader(new LengthPrefixedCodec({ lengthFieldLength: 8 }));
  reader.push(Buffer.from('ffffffffffffffff', 'hex'));
  assert.throws(() => reader.next(), CorruptFrameError);
  assert.equal(reader.failed, true);
  for (let i = 0; i < 64; i++) reader.push(MiB); // 64 MiB more from the peer
  assert.equal(reader.buffered, 0);
  assert.throws(() => reader.next(), CorruptFrameError);
  assert.throws(() => reader.drain(), CorruptFrameError);
  assert.throws(() => reader.end(), CorruptFrameError);
});

test('after a final FrameTooLongError (discardOnOverflow: false), nothing more is kept', () => {
  const reader = new FrameReader(new LineCodec({ maxFrameLength: 8, discardOnOverflow: false }));
  reader.push(Buffer.from('ok\nthis line is too long\n'));
  assert.deepEqual(
    reader.drain().map((f) => String(f)),
    ['ok'],
  );
  assert.throws(() => reader.next(), FrameTooLongError);
  for (let i = 0; i < 16; i++) reader.push(MiB);
  assert.equal(reader.buffered, 0);
  assert.throws(() => reader.next(), FrameTooLongError);
});

test('a recoverable error is not final: decoding goes on', () => {
  const reader = new FrameReader(new LineCodec({ maxFrameLength: 4 }));
  reader.push(Buffer.from('far too long\nok\n'));
  assert.throws(() => reader.next(), FrameTooLongError);
  assert.equal(reader.failed, false);
  assert.equal(String(reader.next()), 'ok');
});
