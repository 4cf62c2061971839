import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteQueue } from '../../../src/internal/byte-queue.js';

function queueOf(...parts: string[]): ByteQueue {
  const q = new ByteQueue();
  for (const p of parts) q.push(Buffer.from(p, 'latin1'));
  return q;
}

/** Every way to cut `s` into up to 3 chunks. */
function* cuts(s: string): Generator<string[]> {
  for (let i = 0; i <= s.length; i++) {
    for (let j = i; j <= s.length; j++) yield [s.slice(0, i), s.slice(i, j), s.slice(j)];
  }
}

describe('ByteQueue', () => {
  test('indexOf finds a byte across chunk boundaries, from any position', () => {
    const q = queueOf('ab', 'cd', 'e\n', 'f\n');
    assert.equal(q.indexOf(0x0a), 5);
    assert.equal(q.indexOf(0x0a, 5), 5);
    assert.equal(q.indexOf(0x0a, 6), 7);
    assert.equal(q.indexOf(0x0a, 8), -1);
    assert.equal(q.indexOf(0x7a), -1);
    assert.equal(q.indexOf(0x61, -3), 0);
  });

  test('indexOf finds a multi-byte needle wherever the chunks cut it (even across 3 chunks)', () => {
    const text = 'xx<END>y<END>';
    for (const parts of cuts(text)) {
      const q = queueOf(...parts);
      const needle = Buffer.from('<END>');
      assert.equal(q.indexOf(needle), 2, parts.join('|'));
      assert.equal(q.indexOf(needle, 3), 8, parts.join('|'));
      assert.equal(q.indexOf(new Uint8Array(needle)), 2, 'plain Uint8Array needle');
      assert.equal(q.indexOf(Buffer.from('END>y<')), 3, parts.join('|'));
      assert.equal(q.indexOf(Buffer.from('<END!')), -1, parts.join('|'));
    }
    const three = queueOf('a<', 'EN', 'D>');
    assert.equal(three.indexOf(Buffer.from('<END>')), 1);
  });

  test('indexOf after consuming part of the head chunk', () => {
    const q = queueOf('a\nb\n', 'c\n');
    q.skip(2);
    assert.equal(q.indexOf(0x0a), 1);
    assert.equal(q.indexOf(Buffer.from('\nc')), 1);
    assert.equal(q.indexOf(Buffer.from('')), 0);
  });

  test('peek and take are zero-copy within one chunk, copy across chunks', () => {
    const first = Buffer.from('hello');
    const q = new ByteQueue();
    q.push(first);
    q.push(Buffer.from('world'));
    const peeked = q.peek(3);
    assert.equal(peeked.buffer, first.buffer, 'peek shares memory');
    assert.equal(peeked.byteOffset, first.byteOffset);
    assert.equal(peeked.toString(), 'hel');
    const taken = q.take(2);
    assert.equal(taken.buffer, first.buffer, 'take shares memory');
    assert.equal(taken.byteOffset, first.byteOffset);
    const spanning = q.take(5);
    first[2] = 0x4c; // 'L': a copy does not see it
    assert.equal(spanning.toString(), 'llowo');
    assert.equal(q.length, 3);
    assert.equal(q.takeAll().toString(), 'rld');
    assert.equal(q.length, 0);
    assert.deepEqual(q.take(0), Buffer.alloc(0));
  });

  test('byteAt, readUInt (both byte orders, across chunks, widths 1 to 8)', () => {
    const q = new ByteQueue();
    q.push(Buffer.from([0x01, 0x02]));
    q.push(Buffer.from([0x03]));
    q.push(Buffer.from([0x04, 0x05, 0x06, 0x07, 0x08]));
    assert.equal(q.byteAt(2), 3);
    assert.throws(() => q.byteAt(8), RangeError);
    assert.equal(q.readUInt(0, 2), 0x0102);
    assert.equal(q.readUInt(0, 2, true), 0x0201);
    assert.equal(q.readUInt(1, 3), 0x020304);
    assert.equal(q.readUInt(1, 3, true), 0x040302);
    assert.equal(q.readUInt(0, 4), 0x01020304);
    const wide = new ByteQueue();
    wide.push(Buffer.from([0x00, 0x1f, 0x02]));
    wide.push(Buffer.from([0x03, 0x04, 0x05, 0x06, 0x07]));
    assert.equal(wide.readUInt(0, 8), 0x1f020304050607);
    const le = new ByteQueue();
    le.push(Buffer.from([0x07, 0x06, 0x05, 0x04, 0x03]));
    le.push(Buffer.from([0x02, 0x1f, 0x00]));
    assert.equal(le.readUInt(0, 8, true), 0x1f020304050607);
    assert.equal(q.readUInt(3, 4, true), 0x07060504);
    assert.throws(() => q.readUInt(5, 4), RangeError);
    assert.throws(() => q.readUInt(0, 9), RangeError);
    assert.throws(() => q.readUInt(0, 0), RangeError);
  });

  test('skip, clear and the consumed counter', () => {
    const q = queueOf('abc', 'def', 'ghi');
    q.skip(4);
    assert.equal(q.consumed, 4);
    assert.equal(q.length, 5);
    assert.equal(q.chunkCount, 2);
    assert.equal(q.peek(5).toString(), 'efghi');
    assert.throws(() => q.skip(6), RangeError);
    assert.throws(() => q.skip(-1), RangeError);
    q.clear();
    assert.equal(q.consumed, 9);
    assert.equal(q.length, 0);
    q.push(Buffer.alloc(0));
    assert.equal(q.chunkCount, 0, 'empty chunks are not queued');
  });

  test('chunks() yields the live bytes without consuming', () => {
    const q = queueOf('abc', 'de');
    q.skip(1);
    assert.deepEqual(
      [...q.chunks()].map((c) => c.toString()),
      ['bc', 'de'],
    );
    assert.equal(q.length, 4);
  });

  test('many small chunks: the chunk array is compacted and bytes stay in order', () => {
    const q = new ByteQueue();
    let expected = 0;
    for (let i = 0; i < 1000; i++) {
      q.push(Buffer.from([i & 0xff]));
      if (i % 3 === 2) {
        const got = q.take(2);
        assert.deepEqual([...got], [expected & 0xff, (expected + 1) & 0xff]);
        expected += 2;
      }
    }
    assert.equal(q.length, 1000 - expected);
    assert.ok(q.chunkCount <= 1000 - expected);
  });
});
