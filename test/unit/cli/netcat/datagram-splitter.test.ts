import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DatagramSplitter } from '../../../../src/cli/netcat/datagram-splitter.js';

const strings = (bufs: Buffer[]): string[] => bufs.map((b) => b.toString());

test('one datagram per line, whatever the chunking', () => {
  const input = Buffer.from('one\ntwo\nthree\nrest');
  for (let i = 0; i <= input.length; i += 1) {
    const s = new DatagramSplitter();
    const out = [...s.push(input.subarray(0, i)), ...s.push(input.subarray(i))];
    const rest = s.flush();
    assert.deepEqual(strings(out), ['one\n', 'two\n', 'three\n'], `split at ${i}`);
    assert.equal(rest?.toString(), 'rest');
  }
});

test('a line longer than the limit goes out in pieces; empty lines are datagrams too', () => {
  const s = new DatagramSplitter(4);
  assert.deepEqual(strings(s.push(Buffer.from('abcdefghij\n\n'))), ['abcd', 'efgh', 'ij\n', '\n']);
  assert.equal(s.flush(), null);
});
