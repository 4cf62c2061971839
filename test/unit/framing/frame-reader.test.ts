import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { CodecContractError, TruncatedFrameError } from '../../../src/errors.js';
import type { Decoder } from '../../../src/framing/codec.js';
import { FrameReader, type FramingErrorMessage } from '../../../src/framing/frame-reader.js';
import { LineCodec } from '../../../src/framing/line.js';
import { ByteQueue } from '../../../src/internal/byte-queue.js';

describe('FrameReader', () => {
  test('a decoder that yields without consuming is a CodecContractError', () => {
    const bad: Decoder<number> = { decode: () => 1 };
    const reader = new FrameReader(bad);
    reader.push(Buffer.from('x'));
    assert.throws(() => reader.next(), CodecContractError);
  });

  test('end() reports leftovers as TruncatedFrameError and clears them', () => {
    const reader = new FrameReader(new LineCodec({ allowUnterminated: false }));
    reader.push(Buffer.from('a\nbc'));
    assert.throws(
      () => reader.end(),
      (e: unknown) => {
        assert.ok(e instanceof TruncatedFrameError);
        assert.equal(e.remaining, 2);
        return true;
      },
    );
    assert.equal(reader.buffered, 0);
    assert.deepEqual(reader.end(), []);
  });

  test('nextAtEnd() yields every frame before the truncation error', () => {
    const reader = new FrameReader(new LineCodec({ allowUnterminated: false }));
    reader.push(Buffer.from('a\nb\nc'));
    assert.equal(reader.nextAtEnd(), 'a');
    assert.equal(reader.nextAtEnd(), 'b');
    assert.throws(() => reader.nextAtEnd(), TruncatedFrameError);
    assert.equal(reader.nextAtEnd(), null);
  });

  test('decodes from a shared queue without losing bytes read raw before', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from('RAW:a\nb\n'));
    assert.equal(queue.take(4).toString(), 'RAW:');
    const reader = new FrameReader(new LineCodec(), queue);
    assert.deepEqual(reader.drain(), ['a', 'b']);
    assert.equal(reader.queue, queue);
  });
});

test('FrameReader.drain() returns the frames before an error and throws it next', () => {
  const reader = new FrameReader(new LineCodec({ maxLineLength: 3 }));
  reader.push(Buffer.from('ok\ntoo long\nyes\n'));
  assert.deepEqual(reader.drain(), ['ok']);
  assert.throws(() => reader.drain(), { code: 'ERR_FRAME_TOO_LONG' });
  assert.deepEqual(reader.drain(), ['yes']);
});

test('decoder errors are published on socketkit:framing:error', (t) => {
  const seen: FramingErrorMessage[] = [];
  const onMessage = (m: unknown) => {
    seen.push(m as FramingErrorMessage);
  };
  diagnostics.subscribe('socketkit:framing:error', onMessage);
  t.after(() => diagnostics.unsubscribe('socketkit:framing:error', onMessage));
  const reader = new FrameReader(new LineCodec({ maxLineLength: 2 }));
  reader.push(Buffer.from('abcdef'));
  assert.throws(() => reader.next(), { code: 'ERR_FRAME_TOO_LONG' });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.recovered, true);
  assert.equal(seen[0]?.buffered, 0);
});
