// CRC-32C (Castagnoli) against the published check value and RFC 3720's B.4 vectors,
// and the same result over any split (how the PROXY parser checksums around its field).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../../../src/internal/crc32c.js';

test('crc32c: the check value and RFC 3720 B.4 vectors', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32, 0x00)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
});

test('crc32c: continued over pieces and ranges equals the whole', () => {
  const bytes = Buffer.from('The quick brown fox jumps over the lazy dog');
  const whole = crc32c(bytes);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.equal(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), whole);
    assert.equal(crc32c(bytes, crc32c(bytes, 0, 0, cut), cut), whole);
  }
});
