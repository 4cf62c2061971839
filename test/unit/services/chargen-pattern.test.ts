import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CHARGEN_LINE_BYTES,
  chargenCycle,
  chargenDatagram,
  chargenLine,
} from '../../../src/services/chargen/pattern.js';

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');

test('line 0 is the first 72 printable characters, then CRLF (RFC 864)', () => {
  assert.equal(chargenLine(0).toString('latin1'), `${PRINTABLE.slice(0, 72)}\r\n`);
  assert.equal(chargenLine(0).length, 74);
});

test('each line starts one character later, wrapping around the 95-character ring', () => {
  assert.equal(chargenLine(1).toString('latin1'), `${PRINTABLE.slice(1, 73)}\r\n`);
  const wrapped = (PRINTABLE + PRINTABLE).slice(60, 60 + 72);
  assert.equal(chargenLine(60).toString('latin1'), `${wrapped}\r\n`);
  assert.deepEqual(chargenLine(95), chargenLine(0));
});

test('the cycle is lines 0…94 (7030 bytes) and repeats seamlessly', () => {
  const cycle = chargenCycle();
  assert.equal(cycle.length, 95 * CHARGEN_LINE_BYTES);
  for (let n = 0; n < 95; n++) {
    assert.deepEqual(cycle.subarray(n * 74, n * 74 + 74), chargenLine(n));
  }
});

test('UDP datagrams are 0…512 bytes of the pattern', () => {
  assert.equal(chargenDatagram(0).length, 0);
  assert.deepEqual(chargenDatagram(74, 3), chargenLine(3));
  const big = chargenDatagram(512, 94);
  assert.equal(big.length, 512);
  assert.deepEqual(big.subarray(0, 74), chargenLine(94));
  assert.deepEqual(big.subarray(74, 148), chargenLine(0));
  assert.throws(() => chargenDatagram(513), RangeError);
  assert.throws(() => chargenDatagram(-1), RangeError);
});
