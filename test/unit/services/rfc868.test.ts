import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeRfc868,
  fromRfc868Seconds,
  RFC868_EPOCH_OFFSET,
  toRfc868Seconds,
} from '../../../src/services/time/rfc868.js';

test('the Unix epoch is 2208988800 seconds after 1900 (RFC 868 examples)', () => {
  assert.equal(toRfc868Seconds(new Date('1970-01-01T00:00:00Z')), RFC868_EPOCH_OFFSET);
  // RFC 868: "2,629,584,000 corresponds to 00:00 1 May 1983 GMT"
  assert.equal(toRfc868Seconds(new Date('1983-05-01T00:00:00Z')), 2_629_584_000);
  // RFC 868: "2,398,291,200 corresponds to 00:00 1 Jan 1976 GMT"
  assert.equal(toRfc868Seconds(new Date('1976-01-01T00:00:00Z')), 2_398_291_200);
});

test('fractions of a second round down', () => {
  assert.equal(toRfc868Seconds(new Date('1970-01-01T00:00:00.999Z')), RFC868_EPOCH_OFFSET);
});

test('the value is 4 big-endian bytes', () => {
  assert.deepEqual(
    encodeRfc868(new Date('1970-01-01T00:00:00Z')),
    Buffer.from([0x83, 0xaa, 0x7e, 0x80]),
  );
});

test('2036-02-07T06:28:16Z wraps to 0, then counts up again (mod 2^32)', () => {
  assert.equal(toRfc868Seconds(new Date('2036-02-07T06:28:15Z')), 0xffffffff);
  assert.equal(toRfc868Seconds(new Date('2036-02-07T06:28:16Z')), 0);
  assert.equal(toRfc868Seconds(new Date('2036-02-07T06:28:17Z')), 1);
  assert.deepEqual(encodeRfc868(new Date('2036-02-07T06:28:16Z')), Buffer.alloc(4));
});

test('decoding picks the era closest to the reference date', () => {
  const after = new Date('2040-01-01T00:00:00Z');
  assert.equal(
    fromRfc868Seconds(toRfc868Seconds(after), new Date('2039-06-01T00:00:00Z')).getTime(),
    after.getTime(),
  );
  const before = new Date('2026-11-22T04:30:00Z');
  assert.equal(
    fromRfc868Seconds(encodeRfc868(before), new Date('2026-11-23T00:00:00Z')).getTime(),
    before.getTime(),
  );
  // Near the wrap both sides decode right.
  const justBefore = new Date('2036-02-07T06:28:10Z');
  assert.equal(
    fromRfc868Seconds(toRfc868Seconds(justBefore), after).getTime(),
    justBefore.getTime(),
  );
});
