import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter, type SplitItem } from '../../../../src/services/chat/line-splitter.js';

const show = (items: SplitItem[]): string[] =>
  items.map((i) => ('line' in i ? i.line.toString('latin1') : `TOO_LONG(${i.tooLong})`));

function feed(splitter: LineSplitter, chunks: Buffer[]): string[] {
  return chunks.flatMap((c) => show(splitter.push(c)));
}

describe('LineSplitter', () => {
  const input = Buffer.from('one\ntwo\r\n\nthree is longer\nfour');

  it('gives the same lines for every two-way split and for 1-byte chunks', () => {
    const whole = feed(new LineSplitter(10), [input]);
    assert.deepEqual(whole, ['one', 'two\r', '', 'TOO_LONG(10)']);
    for (let cut = 0; cut <= input.length; cut += 1) {
      const s = new LineSplitter(10);
      assert.deepEqual(
        feed(s, [input.subarray(0, cut), input.subarray(cut)]),
        whole,
        `cut at ${cut}`,
      );
      assert.equal(s.flush()?.toString(), 'four');
    }
    const bytes = [...input].map((b) => Buffer.from([b]));
    const s = new LineSplitter(10);
    assert.deepEqual(feed(s, bytes), whole);
    assert.equal(s.flush()?.toString(), 'four');
  });

  it('does not count the CR of CRLF against the limit', () => {
    const s = new LineSplitter(3);
    assert.deepEqual(feed(s, [Buffer.from('abc\r\nabcd\n')]), ['abc\r', 'TOO_LONG(3)']);
  });

  it('after an oversize partial line, drops input up to the next newline, then recovers', () => {
    const s = new LineSplitter(4);
    assert.deepEqual(feed(s, [Buffer.from('abcdefgh')]), ['TOO_LONG(4)']);
    assert.deepEqual(feed(s, [Buffer.from('ijkl')]), []);
    assert.equal(s.pending, 0, 'nothing of the oversize line is kept');
    assert.deepEqual(feed(s, [Buffer.from('mn\nok\n')]), ['ok']);
  });

  it('flush() hands over the partial line (newline-less clients), once', () => {
    const s = new LineSplitter(100);
    feed(s, [Buffer.from('no newline')]);
    assert.equal(s.pending, 10);
    assert.equal(s.flush()?.toString(), 'no newline');
    assert.equal(s.flush(), null);
  });
});
