import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrlfConverter } from '../../../../src/cli/netcat/crlf-converter.js';

test('turns LF into CRLF and leaves CRLF alone', () => {
  const c = new CrlfConverter();
  assert.equal(c.convert(Buffer.from('a\nb\r\n\n')).toString(), 'a\r\nb\r\n\r\n');
});

test('a CR at the end of one chunk and the LF at the start of the next stay one CRLF', () => {
  const c = new CrlfConverter();
  assert.equal(
    c.convert(Buffer.from('a\r')).toString() + c.convert(Buffer.from('\nb\n')).toString(),
    'a\r\nb\r\n',
  );
});

test('every split of the input gives the same bytes', () => {
  const input = Buffer.from('x\n\r\ny\r\r\n\nz');
  const whole = new CrlfConverter().convert(input).toString();
  for (let i = 0; i <= input.length; i += 1) {
    const c = new CrlfConverter();
    const out =
      c.convert(input.subarray(0, i)).toString() + c.convert(input.subarray(i)).toString();
    assert.equal(out, whole, `split at ${i}`);
  }
  assert.equal(whole, 'x\r\n\r\ny\r\r\n\r\nz');
});
