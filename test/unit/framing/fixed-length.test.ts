import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { FixedLengthCodec } from '../../../src/framing/fixed-length.js';
import { assertEverySplit, hex } from './feed.js';

describe('FixedLengthCodec', () => {
  test('fixtures at every split, with a truncated tail', () => {
    assertEverySplit(() => new FixedLengthCodec({ frameLength: 3 }), hex('414243 444546 47'), [
      hex('414243'),
      hex('444546'),
      { error: 'ERR_TRUNCATED_FRAME' },
    ]);
    assertEverySplit(() => new FixedLengthCodec({ frameLength: 1 }), hex('0001'), [
      hex('00'),
      hex('01'),
    ]);
  });

  test('the encoder passes frames of the right size through, and refuses others', () => {
    const codec = new FixedLengthCodec({ frameLength: 2 });
    const frame = hex('0102');
    assert.equal(codec.encode(frame), frame);
    assert.deepEqual(codec.encode('hi'), Buffer.from('hi'));
    assert.throws(() => codec.encode('h'), InvalidArgumentError);
  });

  test('options are checked at construction', () => {
    assert.throws(() => new FixedLengthCodec({ frameLength: 0 }), InvalidArgumentError);
    assert.throws(
      () => new FixedLengthCodec({ frameLength: 10, maxFrameLength: 9 }),
      InvalidArgumentError,
    );
    // @ts-expect-error: frameLength is required
    assert.throws(() => new FixedLengthCodec({}), InvalidArgumentError);
  });
});
