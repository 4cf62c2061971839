import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameReader } from '../../../src/framing/frame-reader.js';
import { NetstringCodec } from '../../../src/framing/netstring.js';
import { assertEverySplit } from './feed.js';

const TOO_LONG = { error: 'ERR_FRAME_TOO_LONG' };
const CORRUPT = { error: 'ERR_CORRUPT_FRAME' };
const TRUNCATED = { error: 'ERR_TRUNCATED_FRAME' };
const wire = (s: string) => Buffer.from(s, 'latin1');

describe('NetstringCodec fixtures at every split', () => {
  test('the spec example, an empty netstring and binary content', () => {
    assertEverySplit(() => new NetstringCodec(), wire('12:hello world!,0:,3:\x00,\xff,'), [
      wire('hello world!'),
      wire(''),
      wire('\x00,\xff'),
    ]);
  });

  test('bad syntax is a CorruptFrameError', () => {
    assertEverySplit(() => new NetstringCodec(), wire('2:hi,x:'), [wire('hi'), CORRUPT]);
    assertEverySplit(() => new NetstringCodec(), wire('2:hi;'), [CORRUPT]);
    assertEverySplit(() => new NetstringCodec(), wire('01:a,'), [CORRUPT]);
    assertEverySplit(() => new NetstringCodec(), wire(':,'), [CORRUPT]);
    assertEverySplit(() => new NetstringCodec(), wire('-1:,'), [CORRUPT]);
  });

  test('too many digits fail before the colon arrives', () => {
    assertEverySplit(() => new NetstringCodec({ maxFrameLength: 99 }), wire('100'), [TOO_LONG]);
  });

  test('recovery: a too-long netstring is skipped, the next decodes', () => {
    assertEverySplit(() => new NetstringCodec({ maxFrameLength: 3 }), wire('5:abcde,1:z,'), [
      TOO_LONG,
      wire('z'),
    ]);
    assertEverySplit(
      () => new NetstringCodec({ maxFrameLength: 3, discardOnOverflow: false }),
      wire('5:abcde,1:z,'),
      [TOO_LONG],
    );
  });

  test('TruncatedFrameError at end inside a netstring', () => {
    assertEverySplit(() => new NetstringCodec(), wire('1:a,5:ab'), [wire('a'), TRUNCATED]);
    assertEverySplit(() => new NetstringCodec(), wire('12'), [TRUNCATED]);
  });
});

describe('NetstringCodec behaviour', () => {
  test('encodes to three buffers, the payload uncopied', () => {
    const payload = Buffer.from('hello world!');
    const parts = new NetstringCodec().encode(payload);
    assert.equal(parts[1], payload);
    assert.equal(Buffer.concat(parts).toString(), '12:hello world!,');
  });

  test('the payload is discarded as it arrives', () => {
    const reader = new FrameReader(new NetstringCodec({ maxFrameLength: 500 }));
    reader.push(wire('600:'));
    assert.throws(() => reader.next(), { code: 'ERR_FRAME_TOO_LONG' });
    for (let i = 0; i < 6; i++) {
      reader.push(Buffer.alloc(100));
      assert.equal(reader.next(), null);
      assert.equal(reader.buffered, 0);
    }
    reader.push(wire(',2:ok,'));
    assert.deepEqual(reader.drain(), [wire('ok')]);
  });
});
