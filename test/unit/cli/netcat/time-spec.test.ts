import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSeconds, parseDuration } from '../../../../src/cli/netcat/time-spec.js';

test("parses ncat's durations", () => {
  assert.equal(parseDuration('5', '-w'), 5);
  assert.equal(parseDuration('1.5s', '-w'), 1.5);
  assert.equal(parseDuration('500ms', '-w'), 0.5);
  assert.equal(parseDuration('2m', '-w'), 120);
  assert.equal(parseDuration('1h', '-w'), 3600);
});

test('rejects zero, negative and malformed durations', () => {
  for (const bad of ['0', '-1', 'abc', '5x', '', '1e3']) {
    assert.throws(() => parseDuration(bad, '-w'), /-w expects a positive duration/, bad);
  }
});

test('formats seconds for messages', () => {
  assert.equal(formatSeconds(0.5), '500 ms');
  assert.equal(formatSeconds(2), '2 s');
});
