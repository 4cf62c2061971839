import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHexDump } from '../../../../src/cli/netcat/hex-dump.js';

// Lines captured from `ncat -x` (Ncat 7.93) for the same bytes.
test('matches ncat --hex-dump byte for byte', () => {
  assert.equal(
    formatHexDump(Buffer.from('hello world, this is a test line\nsecond\n')),
    '0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello.world,.thi\n' +
      '0010   73 20 69 73 20 61 20 74  65 73 74 20 6c 69 6e 65  s.is.a.test.line\n' +
      '0020   0a 73 65 63 6f 6e 64 0a                           .second.        \n',
  );
  assert.equal(
    formatHexDump(Buffer.from('server says hi\n')),
    '0000   73 65 72 76 65 72 20 73  61 79 73 20 68 69 0a     server.says.hi. \n',
  );
});

test('non-printable bytes show as dots; an empty chunk dumps nothing', () => {
  assert.match(
    formatHexDump(Buffer.from([0, 0x7f, 0x80, 0xff, 0x41])),
    /00 7f 80 ff 41 .* \.\.\.\.A {11}\n$/,
  );
  assert.equal(formatHexDump(Buffer.alloc(0)), '');
});
