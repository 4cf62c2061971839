import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAYTIME_PATTERN, formatDaytime } from '../../../src/services/daytime/format.js';

test('formats as "Weekday, Month Day, Year HH:MM:SS-UTC" + CRLF (RFC 867)', () => {
  assert.equal(
    formatDaytime(new Date('2026-11-22T04:30:00Z')),
    'Sunday, November 22, 2026 04:30:00-UTC\r\n',
  );
  assert.equal(
    formatDaytime(new Date('1982-02-22T17:37:43Z')),
    'Monday, February 22, 1982 17:37:43-UTC\r\n',
  );
  assert.equal(
    formatDaytime(new Date('2000-01-01T00:00:09Z')),
    'Saturday, January 1, 2000 00:00:09-UTC\r\n',
  );
});

test('the documented pattern matches every weekday and month', () => {
  for (let day = 0; day < 400; day += 13) {
    const text = formatDaytime(
      new Date(Date.UTC(2026, 0, 1 + day, day % 24, day % 60, (day * 7) % 60)),
    );
    assert.match(text, DAYTIME_PATTERN);
  }
});
