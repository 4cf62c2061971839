import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { DelimiterCodec } from '../../../src/framing/delimiter.js';
import { FrameReader } from '../../../src/framing/frame-reader.js';
import { assertEverySplit, hex } from './feed.js';

const TOO_LONG = { error: 'ERR_FRAME_TOO_LONG' };
const TRUNCATED = { error: 'ERR_TRUNCATED_FRAME' };

describe('DelimiterCodec fixtures at every split', () => {
  test('the earliest of several delimiters wins', () => {
    // "ab" NUL "c" CRLF CRLF "d"
    const wire = hex('6162 00 63 0d0a 0d0a 64');
    assertEverySplit(() => new DelimiterCodec({ delimiters: ['\0', '\r\n'] }), wire, [
      hex('6162'),
      hex('63'),
      hex(''),
      hex('64'),
    ]);
  });

  test('on a tie the longest delimiter wins (\\r\\n over \\r)', () => {
    const wire = hex('61 0d0a 62 0d 63 0d0a');
    assertEverySplit(
      () => new DelimiterCodec({ delimiters: ['\r', '\r\n'], encoding: 'utf8' }),
      wire,
      ['a', 'b', 'c'],
    );
  });

  test('a multi-byte delimiter split across three chunks', () => {
    const wire = Buffer.from('one<END>two<END>', 'latin1');
    assertEverySplit(() => new DelimiterCodec({ delimiters: ['<END>'], encoding: 'utf8' }), wire, [
      'one',
      'two',
    ]);
    const codec = new DelimiterCodec({ delimiters: ['<END>'], encoding: 'utf8' });
    const reader = new FrameReader(codec);
    for (const part of ['one<E', 'N', 'D>']) reader.push(Buffer.from(part));
    assert.deepEqual(reader.drain(), ['one']);
  });

  test('keepDelimiter keeps the delimiter that matched', () => {
    const wire = Buffer.from('a;b|c', 'latin1');
    assertEverySplit(
      () => new DelimiterCodec({ delimiters: [';', '|'], keepDelimiter: true, encoding: 'utf8' }),
      wire,
      ['a;', 'b|', 'c'],
    );
  });

  test('recovery after FrameTooLongError: discard to the next delimiter, then go on', () => {
    const wire = Buffer.from('ok--toolong--x--abcdefgh--yz--', 'latin1');
    assertEverySplit(
      () => new DelimiterCodec({ delimiters: ['--'], maxFrameLength: 4, encoding: 'utf8' }),
      wire,
      ['ok', TOO_LONG, 'x', TOO_LONG, 'yz'],
    );
  });

  test('allowUnterminated: false reports the tail as truncated', () => {
    assertEverySplit(
      () => new DelimiterCodec({ delimiters: ['\0'], allowUnterminated: false }),
      hex('61 00 62'),
      [hex('61'), TRUNCATED],
    );
  });
});

describe('DelimiterCodec behaviour', () => {
  test('memory stays bounded while discarding', () => {
    const reader = new FrameReader(
      new DelimiterCodec({ delimiters: ['<END>'], maxFrameLength: 8 }),
    );
    reader.push(Buffer.alloc(20, 0x61));
    assert.throws(() => reader.next(), { code: 'ERR_FRAME_TOO_LONG' });
    for (let i = 0; i < 100; i++) {
      reader.push(Buffer.alloc(100, 0x61));
      assert.equal(reader.next(), null);
      assert.ok(reader.buffered < 5, `${reader.buffered} bytes kept while discarding`);
    }
    reader.push(Buffer.from('<EN'));
    assert.equal(reader.next(), null);
    reader.push(Buffer.from('D>after<END>'));
    assert.deepEqual(reader.drain(), [Buffer.from('after')]);
  });

  test('the encoder appends the first delimiter and refuses frames that contain one', () => {
    const codec = new DelimiterCodec({ delimiters: ['\n', '\r\n'] });
    assert.deepEqual(codec.encode('a'), Buffer.from('a\n'));
    assert.throws(() => codec.encode('a\nb'), InvalidArgumentError);
    assert.throws(() => codec.encode('a\r\nb'), InvalidArgumentError);
    assert.throws(() => codec.encode('a\r'), InvalidArgumentError, 'would decode as "a"');
    const big = Buffer.alloc(4096, 1);
    assert.deepEqual(codec.encode(big), [big, Buffer.from('\n')]);
  });

  test('options are checked at construction', () => {
    assert.throws(() => new DelimiterCodec({ delimiters: [] }), InvalidArgumentError);
    assert.throws(() => new DelimiterCodec({ delimiters: [''] }), InvalidArgumentError);
    assert.throws(
      () => new DelimiterCodec({ delimiters: ['\n'], maxFrameLength: -1 }),
      InvalidArgumentError,
    );
    // @ts-expect-error: options are required
    assert.throws(() => new DelimiterCodec(), InvalidArgumentError);
  });

  test('delimiters given as bytes are copied', () => {
    const d = new Uint8Array([0]);
    const codec = new DelimiterCodec({ delimiters: [d] });
    d[0] = 1;
    const reader = new FrameReader(codec);
    reader.push(hex('61 00'));
    assert.deepEqual(reader.drain(), [hex('61')]);
  });
});

test('DelimiterCodec: an unterminated tail over the limit is FrameTooLongError at end', () => {
  // 6 bytes with a 4-byte limit and a 3-byte delimiter: not provably too long until the end
  assertEverySplit(
    () => new DelimiterCodec({ delimiters: ['END'], maxFrameLength: 4 }),
    Buffer.from('abEND123456'),
    [Buffer.from('ab'), { error: 'ERR_FRAME_TOO_LONG' }],
  );
});
