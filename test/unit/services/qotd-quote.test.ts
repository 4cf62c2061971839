import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { DEFAULT_QUOTE, encodeQuote, qotdService } from '../../../src/services/qotd/index.js';

test('the message gets CRLF unless it already ends with a line break', () => {
  assert.equal(encodeQuote('welcome to server!').toString(), 'welcome to server!\r\n');
  assert.equal(encodeQuote('two\nlines\n').toString(), 'two\nlines\n');
  assert.ok(encodeQuote(DEFAULT_QUOTE).length < 512);
});

test('a message of 512 bytes or more is refused (RFC 865), naming its size', () => {
  assert.equal(encodeQuote('x'.repeat(509)).length, 511);
  assert.throws(() => encodeQuote('x'.repeat(510)), InvalidArgumentError);
  assert.throws(() => encodeQuote('é'.repeat(300)), /600 bytes|602 bytes/);
  assert.throws(() => qotdService.options?.[0]?.parse?.('x'.repeat(600)), /RFC 865/);
});
