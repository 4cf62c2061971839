import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { StrftimeResponder } from '../../../../src/services/strftime/index.js';
import {
  parsePosixTz,
  zoneAbbreviation,
} from '../../../../src/services/strftime/zone-abbreviation.js';

const AT = 1_767_225_600_123_456_789n; // 2026-01-01T00:00:00.123456789Z
const utc = (options = {}) => new StrftimeResponder({ utc: true, now: () => AT, ...options });

test('an empty request means %F %X', () => {
  assert.equal(utc().respond(Buffer.alloc(0)), '2026-01-01 00:00:00');
});

test('a request is a UTF-8 format; one trailing \\n or \\r\\n is ignored', () => {
  const r = utc();
  assert.equal(r.respond(Buffer.from('%H:%M:%S.%f')), '00:00:00.123456');
  assert.equal(r.respond(Buffer.from('%Y\n')), '2026');
  assert.equal(r.respond(Buffer.from('%Y\r\n')), '2026');
  assert.equal(r.respond(Buffer.from('%Y\n\n')), '2026\n');
  assert.equal(r.respond(Buffer.from('今天是 %A')), '今天是 Thursday');
});

test('a format over the limit gets an error reply, at the exact boundary', () => {
  const r = utc({ maxFormatLength: 8 });
  assert.equal(r.respond(Buffer.from('%Y%m%d%H')), '2026010100');
  assert.equal(
    r.respond(Buffer.from('%Y%m%d%H%')),
    'error: format is 9 bytes, over the 8-byte limit',
  );
});

test('a reply over the limit gets an error reply, never a cut one', () => {
  const r = utc({ maxReplyLength: 1024 });
  assert.equal(r.respond(Buffer.from('%c'.repeat(42))).length, 24 * 42); // 1008 bytes: fits
  assert.equal(
    r.respond(Buffer.from('%c'.repeat(43))),
    'error: reply would be 1032 bytes, over the 1024-byte limit',
  );
});

test('invalid UTF-8 and oversized field widths get error replies', () => {
  const r = utc();
  assert.equal(r.respond(Buffer.from([0x25, 0x59, 0xff])), 'error: format is not valid UTF-8');
  assert.match(r.respond(Buffer.from('%99999Y')), /^error: field width 99999/);
});

test('bad limits and zones are refused at construction', () => {
  assert.throws(() => new StrftimeResponder({ maxFormatLength: 0 }), InvalidArgumentError);
  assert.throws(() => new StrftimeResponder({ maxReplyLength: 70_000 }), InvalidArgumentError);
  assert.throws(() => new StrftimeResponder({ timeZone: 'Nowhere/Land' }), InvalidArgumentError);
});

test('zone abbreviations come from the tz database, with DST', () => {
  const jan = Date.parse('2026-01-15T12:00:00Z');
  const jul = Date.parse('2026-07-15T12:00:00Z');
  assert.equal(zoneAbbreviation('Europe/Paris', 60, jan), 'CET');
  assert.equal(zoneAbbreviation('Europe/Paris', 120, jul), 'CEST');
  assert.equal(zoneAbbreviation('America/New_York', -240, jul), 'EDT');
  assert.equal(zoneAbbreviation('Asia/Dubai', 240, jan), '+04');
  assert.equal(zoneAbbreviation('UTC', 0, jan), 'UTC');
  assert.deepEqual(parsePosixTz('IST-1GMT0,M10.5.0,M3.5.0/1'), {
    std: 'IST',
    stdOffset: 60,
    dst: 'GMT',
  });
  assert.deepEqual(parsePosixTz('<+0530>-5:30'), { std: '+0530', stdOffset: 330 });
});
