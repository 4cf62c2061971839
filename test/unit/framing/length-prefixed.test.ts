import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameTooLongError, InvalidArgumentError } from '../../../src/errors.js';
import { FrameReader } from '../../../src/framing/frame-reader.js';
import { LengthPrefixedCodec } from '../../../src/framing/length-prefixed.js';
import { assertEverySplit, hex } from './feed.js';

const TOO_LONG = { error: 'ERR_FRAME_TOO_LONG' };
const CORRUPT = { error: 'ERR_CORRUPT_FRAME' };
const TRUNCATED = { error: 'ERR_TRUNCATED_FRAME' };

describe('LengthPrefixedCodec fixtures at every split (Netty javadoc cases)', () => {
  test('defaults: 4-byte big-endian length, header stripped; empty frames too', () => {
    const wire = hex('0000000c 48454c4c4f2c20574f524c44 00000000 00000001 21');
    assertEverySplit(() => new LengthPrefixedCodec(), wire, [
      Buffer.from('HELLO, WORLD'),
      hex(''),
      hex('21'),
    ]);
  });

  test('2-byte length, header kept (initialBytesToStrip 0)', () => {
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 2, initialBytesToStrip: 0 }),
      hex('000c 48454c4c4f2c20574f524c44'),
      [hex('000c 48454c4c4f2c20574f524c44')],
    );
  });

  test('length counts the header: lengthAdjustment -2', () => {
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 2, lengthAdjustment: -2 }),
      hex('000e 48454c4c4f2c20574f524c44'),
      [Buffer.from('HELLO, WORLD')],
    );
  });

  test('offset, adjustment and strip (HDR1 | LEN | HDR2 | payload)', () => {
    assertEverySplit(
      () =>
        new LengthPrefixedCodec({
          lengthFieldOffset: 1,
          lengthFieldLength: 2,
          lengthAdjustment: 1,
          initialBytesToStrip: 3,
        }),
      hex('ca 0004 fe 41424344'),
      [hex('fe 41424344')],
    );
  });

  test('3-byte little-endian and 1-byte fields', () => {
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 3, byteOrder: 'little' }),
      hex('020000 6869 000000'),
      [Buffer.from('hi'), hex('')],
    );
    assertEverySplit(() => new LengthPrefixedCodec({ lengthFieldLength: 1 }), hex('01ff 00'), [
      hex('ff'),
      hex(''),
    ]);
  });

  test('8-byte fields, both byte orders', () => {
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 8 }),
      hex('0000000000000002 6869'),
      [Buffer.from('hi')],
    );
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 8, byteOrder: 'little' }),
      hex('0200000000000000 6869'),
      [Buffer.from('hi')],
    );
  });

  test('recovery: a too-long frame is skipped and the next decodes (failFast)', () => {
    const make = () => new LengthPrefixedCodec({ lengthFieldLength: 1, maxFrameLength: 4 });
    assertEverySplit(make, hex('02 6162 05 0102030405 01 7a'), [hex('6162'), TOO_LONG, hex('7a')]);
  });

  test('failFast: false reports the error once the frame is discarded', () => {
    const make = () =>
      new LengthPrefixedCodec({ lengthFieldLength: 1, maxFrameLength: 4, failFast: false });
    assertEverySplit(make, hex('05 0102030405 01 7a'), [TOO_LONG, hex('7a')]);
    // cut short by the end of stream: still reported
    assertEverySplit(make, hex('05 0102'), [TOO_LONG]);
  });

  test('discardOnOverflow: false makes the error final', () => {
    const make = () =>
      new LengthPrefixedCodec({
        lengthFieldLength: 1,
        maxFrameLength: 4,
        discardOnOverflow: false,
      });
    assertEverySplit(make, hex('05 0102030405 01 7a'), [TOO_LONG]);
  });

  test('corrupt lengths: shorter than the header, 2^53 or more in 8 bytes', () => {
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 2, lengthAdjustment: -4 }),
      hex('0002 6869'),
      [CORRUPT],
    );
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 8 }),
      hex('ffffffffffffffff 00'),
      [CORRUPT],
    );
    assertEverySplit(
      () => new LengthPrefixedCodec({ lengthFieldLength: 1, initialBytesToStrip: 4 }),
      hex('01 00'),
      [CORRUPT],
    );
  });

  test('TruncatedFrameError when the stream ends inside a frame or a header', () => {
    assertEverySplit(() => new LengthPrefixedCodec(), hex('00000003 6162'), [TRUNCATED]);
    assertEverySplit(() => new LengthPrefixedCodec(), hex('00000001 61 0000'), [
      hex('61'),
      TRUNCATED,
    ]);
  });
});

describe('LengthPrefixedCodec behaviour', () => {
  test('a huge announced length fails on the header, before the body is buffered', () => {
    const reader = new FrameReader(new LengthPrefixedCodec());
    reader.push(hex('7fffffff'));
    assert.throws(
      () => reader.next(),
      (e: unknown) => {
        assert.ok(e instanceof FrameTooLongError);
        assert.equal(e.length, 0x7fffffff + 4);
        assert.equal(e.maxFrameLength, 8 * 1024 * 1024);
        return true;
      },
    );
    reader.push(Buffer.alloc(1000));
    assert.equal(reader.next(), null);
    assert.equal(reader.buffered, 0, 'the body is discarded as it arrives');
  });

  test('encode returns [header, payload] without copying the payload', () => {
    const payload = Buffer.from('hello');
    const [header, body] = new LengthPrefixedCodec({ lengthFieldLength: 2 }).encode(payload);
    assert.deepEqual(header, hex('0005'));
    assert.equal(body, payload);
    assert.deepEqual(
      new LengthPrefixedCodec({ lengthFieldLength: 8, byteOrder: 'little' }).encode('hi')[0],
      hex('0200000000000000'),
    );
    assert.deepEqual(
      new LengthPrefixedCodec({ lengthFieldLength: 3, lengthAdjustment: -3 }).encode('hi')[0],
      hex('000005'),
    );
  });

  test('encode refuses what the field cannot hold, and a header it cannot write', () => {
    assert.throws(
      () => new LengthPrefixedCodec({ lengthFieldLength: 1 }).encode(Buffer.alloc(256)),
      InvalidArgumentError,
    );
    assert.throws(
      () => new LengthPrefixedCodec({ lengthFieldLength: 1, lengthAdjustment: 1 }).encode(''),
      InvalidArgumentError,
    );
    assert.throws(
      () => new LengthPrefixedCodec({ lengthFieldOffset: 1 }).encode('x'),
      InvalidArgumentError,
    );
  });

  test('options are checked at construction', () => {
    // @ts-expect-error: not a supported width
    assert.throws(() => new LengthPrefixedCodec({ lengthFieldLength: 5 }), InvalidArgumentError);
    // @ts-expect-error: not a byte order
    assert.throws(() => new LengthPrefixedCodec({ byteOrder: 'middle' }), InvalidArgumentError);
    assert.throws(() => new LengthPrefixedCodec({ lengthFieldOffset: -1 }), InvalidArgumentError);
    assert.throws(() => new LengthPrefixedCodec({ maxFrameLength: 3 }), InvalidArgumentError);
  });
});
