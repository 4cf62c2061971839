import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameTooLongError, InvalidArgumentError } from '../../../src/errors.js';
import { FrameReader } from '../../../src/framing/frame-reader.js';
import { LineCodec } from '../../../src/framing/line.js';
import { ByteQueue } from '../../../src/internal/byte-queue.js';
import { assertEverySplit, hex } from './feed.js';

const TOO_LONG = { error: 'ERR_FRAME_TOO_LONG' };
const CORRUPT = { error: 'ERR_CORRUPT_FRAME' };
const TRUNCATED = { error: 'ERR_TRUNCATED_FRAME' };

describe('LineCodec fixtures at every split', () => {
  test('\\n and \\r\\n lines, an empty line and an unterminated last line', () => {
    // "hi\n" "yo\r\n" "\n" "a\rb\n" "end"
    const wire = hex('68690a 796f0d0a 0a 610d620a 656e64');
    assertEverySplit(() => new LineCodec(), wire, ['hi', 'yo', '', 'a\rb', 'end']);
  });

  test('keepDelimiter', () => {
    const wire = hex('68690a 796f0d0a 656e64 0d');
    assertEverySplit(() => new LineCodec({ keepDelimiter: true }), wire, [
      'hi\n',
      'yo\r\n',
      'end\r',
    ]);
  });

  test('an unterminated last line loses a trailing \\r like a delimiter', () => {
    assertEverySplit(() => new LineCodec(), hex('61620d'), ['ab']);
  });

  test('allowUnterminated: false reports the tail as truncated', () => {
    assertEverySplit(() => new LineCodec({ allowUnterminated: false }), hex('610a 6263'), [
      'a',
      TRUNCATED,
    ]);
  });

  test('Buffer output with encoding: null', () => {
    assertEverySplit(() => new LineCodec({ encoding: null }), hex('ff00 0a 0d0a'), [
      hex('ff00'),
      hex(''),
    ]);
  });

  test('multi-byte UTF-8 split anywhere decodes whole', () => {
    const wire = Buffer.from('héllo → 世界\n😀\n', 'utf8');
    assertEverySplit(() => new LineCodec(), wire, ['héllo → 世界', '😀']);
  });

  test('invalid UTF-8: replaced by default, CorruptFrameError with onInvalidUtf8: error', () => {
    const wire = hex('61 ff 62 0a 6f6b 0a');
    assertEverySplit(() => new LineCodec(), wire, ['a\uFFFDb', 'ok']);
    assertEverySplit(() => new LineCodec({ onInvalidUtf8: 'error' }), wire, [CORRUPT, 'ok']);
  });

  test('a line of exactly the limit passes, with \\n or \\r\\n', () => {
    assertEverySplit(() => new LineCodec({ maxLineLength: 3 }), hex('616263 0d0a 646566 0a'), [
      'abc',
      'def',
    ]);
  });

  test('recovery: one FrameTooLongError per long line, then the next line decodes', () => {
    // "ok\n" "abcdef\n" "x\n" "abcde\r\n" "yz"
    const wire = hex('6f6b0a 6162636465660a 780a 61626364650d0a 797a');
    assertEverySplit(() => new LineCodec({ maxLineLength: 3 }), wire, [
      'ok',
      TOO_LONG,
      'x',
      TOO_LONG,
      'yz',
    ]);
  });

  test('an oversize unterminated tail is reported once and dropped', () => {
    assertEverySplit(() => new LineCodec({ maxLineLength: 2 }), hex('610a 62636465'), [
      'a',
      TOO_LONG,
    ]);
  });

  test('discardOnOverflow: false makes the error final', () => {
    assertEverySplit(
      () => new LineCodec({ maxLineLength: 2, discardOnOverflow: false }),
      hex('610a 6263640a 650a'),
      ['a', TOO_LONG],
    );
  });
});

describe('LineCodec behaviour', () => {
  test('fails as soon as the queued bytes exceed the limit, holding at most limit + chunk', () => {
    const reader = new FrameReader(new LineCodec({ maxLineLength: 10 }));
    reader.push(Buffer.from('0123456789'));
    assert.deepEqual(reader.drain(), []);
    reader.push(Buffer.from('\r')); // could still be a 10-byte line ending in \r\n
    assert.deepEqual(reader.drain(), []);
    reader.push(Buffer.from('x'));
    assert.throws(() => reader.next(), FrameTooLongError);
    assert.equal(reader.buffered, 0);
    reader.push(Buffer.from('more of the long line'));
    assert.equal(reader.next(), null);
    assert.equal(reader.buffered, 0, 'discarding keeps nothing');
    reader.push(Buffer.from('tail\nnext\n'));
    assert.deepEqual(reader.drain(), ['next']);
  });

  test('never rescans: a line arriving in many chunks is searched once', () => {
    const queue = new ByteQueue();
    let searched = 0;
    const indexOf = queue.indexOf.bind(queue);
    queue.indexOf = (needle, from = 0) => {
      searched += queue.length - from;
      return indexOf(needle, from);
    };
    const reader = new FrameReader(new LineCodec(), queue);
    for (let i = 0; i < 200; i++) {
      reader.push(Buffer.from('abcde'));
      assert.equal(reader.next(), null);
    }
    reader.push(Buffer.from('\n'));
    assert.equal(reader.next(), 'abcde'.repeat(200));
    assert.equal(searched, 1001);
  });

  test('bytes consumed by someone else between calls do not confuse the scan position', () => {
    const queue = new ByteQueue();
    const codec = new LineCodec();
    queue.push(Buffer.from('abc'));
    assert.equal(codec.decode(queue), null);
    queue.skip(2); // a raw recv() took "ab"
    queue.push(Buffer.from('\nz\n'));
    assert.equal(codec.decode(queue), 'c');
    assert.equal(codec.decode(queue), 'z');
  });

  test('the encoder appends \\n or \\r\\n and refuses embedded newlines', () => {
    assert.deepEqual(new LineCodec().encode('hi'), Buffer.from('hi\n'));
    assert.deepEqual(new LineCodec({ newline: '\r\n' }).encode(hex('ff')), hex('ff0d0a'));
    const big = Buffer.alloc(5000, 0x61);
    assert.deepEqual(new LineCodec().encode(big), [big, Buffer.from('\n')]);
    assert.throws(() => new LineCodec().encode('a\nb'), InvalidArgumentError);
    assert.throws(() => new LineCodec().encode('a\r'), InvalidArgumentError);
  });

  test('options are checked at construction', () => {
    assert.throws(() => new LineCodec({ maxLineLength: 0 }), InvalidArgumentError);
    assert.throws(() => new LineCodec({ maxLineLength: 1.5 }), InvalidArgumentError);
    assert.throws(
      () => new LineCodec({ maxLineLength: 3, maxFrameLength: 4 }),
      InvalidArgumentError,
    );
    // @ts-expect-error: not an encoding the codec offers
    assert.throws(() => new LineCodec({ encoding: 'latin1' }), InvalidArgumentError);
    // @ts-expect-error: not a policy
    assert.throws(() => new LineCodec({ onInvalidUtf8: 'ignore' }), InvalidArgumentError);
    assert.equal(new LineCodec().maxFrameLength, 64 * 1024);
  });

  test('the frame type follows the encoding option', () => {
    const text: string | null = new LineCodec().decode(new ByteQueue());
    const bytes: Buffer | null = new LineCodec({ encoding: null }).decode(new ByteQueue());
    assert.equal(text, null);
    assert.equal(bytes, null);
  });
});
