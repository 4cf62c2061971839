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
    'socketkit connect 127.0.0.1 7007',
  );
  assert.equal(
    tryItLine({ service: svc('echo'), kind: 'udp', host: '127.0.0.1', port: 7007 }),
    'socketkit connect -u 127.0.0.1 7007',
  );
  assert.equal(
    tryItLine({ service: svc('time'), kind: 'tcp', host: '127.0.0.1', port: 7037 }),
    'socketkit connect 127.0.0.1 7037 | od -An -tu1',
  );
  assert.equal(
    tryItLine({ service: svc('echo'), kind: 'tls', host: '::', port: 7 }),
    'ncat --ssl ::1 7',
  );
  assert.equal(
    tryItLine({ service: svc('chargen'), kind: 'unix', path: '/tmp/c.sock' }),
    'socketkit connect --recv-only -U /tmp/c.sock | head -n 5',
  );
  assert.equal(
    tryItLine({ service: svc('daytime'), kind: 'unix-dgram', path: '/tmp/my d.sock' }),
    "echo | socketkit connect -u -i 1 -U '/tmp/my d.sock'",
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
      'echo     tcp        127.0.0.1:7007  socketkit connect 127.0.0.1 7007',
      'daytime  udp        [::1]:13        echo | socketkit connect -u -i 1 ::1 13',
      '',
    ].join('\n'),
  );
});

test('lines that call socketkit name this package bin when socketkit is not on the PATH', () => {
  const sntp = { service: svc('sntp'), kind: 'udp' as const, host: '127.0.0.1', port: 7124 };
  assert.match(
    renderListeningTable([sntp], { socketkitOnPath: true }),
    /\s{2}socketkit sntp 127\.0\.0\.1 --port 7124\n$/,
  );
  // Never `npx socketkit`: outside the clone npx would fetch whatever the registry has, and
  // inside it npx copies the package into its cache (slow, and racy when run in parallel).
  assert.match(
    renderListeningTable([sntp], {
      socketkitOnPath: false,
      binPath: '/opt/my sk/bin/socketkit.js',
    }),
    /\s{2}node '\/opt\/my sk\/bin\/socketkit\.js' sntp 127\.0\.0\.1 --port 7124\n$/,
  );
});

test('services with their own Unix line, and strftime lines that end by themselves', () => {
  assert.equal(
    tryItLine({ service: svc('sntp'), kind: 'unix-dgram', path: '/tmp/n.sock' }),
    "{ printf '\\043'; head -c 47 /dev/zero; } | socketkit connect -u -i 1 -U /tmp/n.sock | od -An -tu1",
  );
  assert.equal(
    tryItLine({ service: svc('strftime'), kind: 'tcp', host: '127.0.0.1', port: 7123 }),
    "echo '%F %T' | socketkit connect 127.0.0.1 7123",
  );
  assert.equal(
    tryItLine({ service: svc('strftime'), kind: 'unix-dgram', path: '/tmp/s.sock' }),
    "echo '%F %T' | socketkit connect -u -i 1 -U /tmp/s.sock",
  );
});
