import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  renderListeningTable,
  shellQuote,
  tryItLine,
} from '../../../../src/cli/serve/listening-table.js';
import { findService } from '../../../../src/services/registry.js';

const svc = (name: string) => {
  const s = findService(name);
  assert.ok(s);
  return s;
};

test('try-it lines per transport', () => {
  assert.equal(
    tryItLine({ service: svc('echo'), kind: 'tcp', host: '0.0.0.0', port: 7007 }),
    'nc 127.0.0.1 7007',
  );
  assert.equal(
    tryItLine({ service: svc('echo'), kind: 'udp', host: '127.0.0.1', port: 7007 }),
    'nc -u 127.0.0.1 7007',
  );
  assert.equal(
    tryItLine({ service: svc('time'), kind: 'tcp', host: '127.0.0.1', port: 7037 }),
    'nc 127.0.0.1 7037 | od -An -tu1',
  );
  assert.equal(
    tryItLine({ service: svc('echo'), kind: 'tls', host: '::', port: 7 }),
    'ncat --ssl ::1 7',
  );
  assert.equal(
    tryItLine({ service: svc('chargen'), kind: 'unix', path: '/tmp/c.sock' }),
    'nc -U /tmp/c.sock | head -n 5',
  );
  assert.equal(
    tryItLine({ service: svc('daytime'), kind: 'unix-dgram', path: '/tmp/my d.sock' }),
    "echo | nc -u -w1 -U '/tmp/my d.sock'",
  );
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test('the table has a header and aligned columns', () => {
  const text = renderListeningTable([
    { service: svc('echo'), kind: 'tcp', host: '127.0.0.1', port: 7007 },
    { service: svc('daytime'), kind: 'udp', host: '::1', port: 13 },
  ]);
  assert.equal(
    text,
    [
      'SERVICE  TRANSPORT  ADDRESS         TRY IT',
      'echo     tcp        127.0.0.1:7007  nc 127.0.0.1 7007',
      'daytime  udp        [::1]:13        echo | nc -u -w1 ::1 13',
      '',
    ].join('\n'),
  );
});
