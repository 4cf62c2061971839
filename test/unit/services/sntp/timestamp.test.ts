import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fillLowBits,
  NTP_ERA1_UNIX_MS,
  ntpToUnixNanos,
  unixNanosToNtp,
} from '../../../../src/services/sntp/timestamp.js';

const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

test('the Unix epoch is 2208988800 s after the NTP epoch', () => {
  assert.equal(unixNanosToNtp(0n), 2_208_988_800n << 32n);
});

test('fractions: half a second is 0x80000000, 1 ns is floor(2^32/1e9)', () => {
  assert.equal(unixNanosToNtp(500_000_000n) & 0xffff_ffffn, 0x8000_0000n);
  assert.equal(unixNanosToNtp(1n) & 0xffff_ffffn, 4n);
  assert.equal(unixNanosToNtp(999_999_999n) & 0xffff_ffffn, 0xffff_fffbn);
});

test('era 0 ends at 2036-02-07T06:28:16Z: the seconds wrap to 0 (era 1)', () => {
  assert.equal(NTP_ERA1_UNIX_MS, Date.parse('2036-02-07T06:28:16Z'));
  assert.equal(unixNanosToNtp(ns('2036-02-07T06:28:15Z')) >> 32n, 0xffff_ffffn);
  assert.equal(unixNanosToNtp(ns('2036-02-07T06:28:16Z')), 0n);
  assert.equal(unixNanosToNtp(ns('2036-02-07T06:28:17.25Z')), (1n << 32n) | 0x4000_0000n);
});

test('decoding picks the era closest to the pivot, on both sides of 2036', () => {
  for (const iso of [
    '1970-01-01T00:00:00Z',
    '2026-11-22T04:00:00.123456789Z',
    '2036-02-07T06:28:15.5Z',
    '2036-02-07T06:28:16Z',
    '2040-01-01T00:00:00Z',
    '2100-06-01T12:00:00Z',
  ]) {
    const t = ns(iso) + (123_456_789n % 1_000_000n);
    // A client whose clock is a day off still recovers the server's era.
    for (const skew of [0n, 86_400n * 1_000_000_000n, -86_400n * 1_000_000_000n]) {
      const back = ntpToUnixNanos(unixNanosToNtp(t), t + skew);
      assert.ok(back - t <= 1n && t - back <= 1n, `${iso} skew ${skew}: ${back} vs ${t}`);
    }
  }
});

test('a client just before the wrap reads a server just after it as era 1 (and vice versa)', () => {
  const before = ns('2036-02-07T06:28:15Z');
  const after = ns('2036-02-07T06:28:17Z');
  assert.equal(ntpToUnixNanos(unixNanosToNtp(after), before), after);
  assert.equal(ntpToUnixNanos(unixNanosToNtp(before), after), before);
});

test('without a pivot, the RFC 4330 rule: MSB set → era 0, clear → era 1', () => {
  const t2026 = ns('2026-01-01T00:00:00Z');
  const t2040 = ns('2040-01-01T00:00:00Z');
  assert.equal(ntpToUnixNanos(unixNanosToNtp(t2026)), t2026);
  assert.equal(ntpToUnixNanos(unixNanosToNtp(t2040)), t2040);
});

test('conversion is exact to the nanosecond for random times (round-trip)', () => {
  let seed = 12345;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const t = BigInt(seed) * 1_000_003n * 1000n + BigInt(i);
    assert.equal(ntpToUnixNanos(unixNanosToNtp(t), t), t);
  }
});

test('fillLowBits replaces only the bits below the precision', () => {
  const ts = 0x1234_5678_9abc_def0n;
  const filled = fillLowBits(ts, -20, () => 0xffff_ffff);
  assert.equal(filled, 0x1234_5678_9abc_dfffn); // 12 low bits set
  assert.equal(
    fillLowBits(ts, -20, () => 0),
    0x1234_5678_9abc_d000n,
  );
  assert.equal(
    fillLowBits(ts, -32, () => 0xffff_ffff),
    ts,
  );
});
