import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpretEscapes } from '../../../../src/cli/netcat/escapes.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

test('interprets the escapes of an HTTP request typed in a shell', () => {
  assert.equal(interpretEscapes('GET / HTTP/1.0\\r\\n\\r\\n').toString(), 'GET / HTTP/1.0\r\n\r\n');
  assert.deepEqual(interpretEscapes('\\x00\\xff\\t\\\\'), Buffer.from([0, 0xff, 9, 0x5c]));
  assert.equal(interpretEscapes('héllo').toString(), 'héllo');
});

test('rejects unknown and unfinished escapes with a clear message', () => {
  assert.throws(() => interpretEscapes('a\\q'), InvalidArgumentError);
  assert.throws(() => interpretEscapes('a\\'), /lone backslash/);
  assert.throws(() => interpretEscapes('\\xZ1'), /two hex digits/);
});
