// Issue 10, defect 1, for `socketkit listen --tls`: a client that closed before the TLS
// handshake stayed half open in the listener for ever (tls.Server with allowHalfOpen).
// listen now uses the socket layer's TLS server: such a client is freed at once (and a
// silent one after the 10 s handshake timeout), and a real client is still served.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { selfSignedCert, startCli, tempDir, within } from '../helpers/netcat.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

test('listen -k --tls: 500 clients closing before the handshake are all freed', async (t) => {
  const { cert, key } = selfSignedCert(tempDir(t));
  const cli = startCli(t, [
    'listen',
    '-v',
    '-k',
    '--tls-cert',
    cert,
    '--tls-key',
    key,
    '127.0.0.1',
    '0',
  ]);
  const m = await cli.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  const port = Number(m[1]);
  const baseline = openFds();
  const closed = Array.from(
    { length: 500 },
    () =>
      new Promise<void>((resolve) => {
        const sock = net.connect({ port, host: '127.0.0.1' }, () => sock.end());
        sock.on('error', () => {});
        sock.resume();
        sock.on('close', () => resolve());
      }),
  );
  // Each 'close' means the listener closed its side: before the fix none ever came.
  await within(Promise.all(closed), 'every early client closed by the listener');
  for (let i = 0; i < 5000 && openFds() > baseline; i++) await new Promise((r) => setImmediate(r));
  assert.ok(openFds() <= baseline, `descriptors back to ${baseline}, have ${openFds()}`);
  const client = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
  t.after(() => client.destroy());
  await within(
    new Promise<void>((resolve, reject) => {
      client.once('secureConnect', () => resolve());
      client.once('error', reject);
    }),
    'a real client completes its handshake',
  );
  client.write('hello\n');
  await cli.stdout.waitFor(/hello\n/);
});
