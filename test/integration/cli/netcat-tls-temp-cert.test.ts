/**
 * `listen --tls` without a certificate (a temporary self-signed one, its SHA-256
 * fingerprint on stderr) and `connect --tls-fingerprint` (pinning it): real peers are
 * ncat --ssl and a `node:tls` client; the listener runs in-process.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import * as tls from 'node:tls';
import { runCli } from '../../helpers/cli.js';
import { exitOf, type InProcessCli, run, startCli } from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';

const FINGERPRINT = /SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n/;

/** `listen -v --tls ARGS 127.0.0.1 0`: its port and the printed fingerprint. */
async function listenTls(
  t: TestContext,
  args: string[],
  stdin?: string | PassThrough,
): Promise<{ cli: InProcessCli; port: string; fingerprint: string }> {
  const cli = startCli(t, ['listen', '-v', '--tls', ...args, '127.0.0.1', '0'], stdin);
  const fp = await cli.stderr.waitFor(FINGERPRINT, 'the fingerprint line');
  const m = await cli.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  return { cli, port: m[1]!, fingerprint: fp[1]! };
}

test(
  'listen --tls makes a temporary certificate: ncat --ssl talks to it; fingerprint and SANs are right',
  { skip: needs('openssl', 'ncat') },
  async (t) => {
    const { cli, port, fingerprint } = await listenTls(t, ['-k'], new PassThrough());
    assert.match(cli.stderr.text, /socketkit: generated a temporary certificate/);

    // What a TLS client sees: the printed fingerprint, and the SANs localhost, 127.0.0.1, ::1.
    const probe = tls.connect({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false });
    probe.on('error', () => {});
    await once(probe, 'secureConnect');
    const cert = probe.getPeerCertificate();
    probe.end();
    assert.equal(cert.fingerprint256, fingerprint);
    assert.match(cert.subjectaltname ?? '', /DNS:localhost/);
    assert.match(cert.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
    assert.match(cert.subjectaltname ?? '', /IP Address:0:0:0:0:0:0:0:1/);

    const nc = run(t, 'ncat', ['--ssl', '127.0.0.1', port], 'over ncat --ssl\n');
    await cli.stdout.waitFor(/over ncat --ssl\n/);
    assert.equal(await exitOf(nc), 0);
  },
);

test(
  'connect --tls-fingerprint: the printed one connects; a wrong one fails and sends nothing; no pin fails verification',
  { skip: needs('openssl') },
  async (t) => {
    const { cli, port, fingerprint } = await listenTls(t, ['-k'], new PassThrough());

    // A wrong pin: refused after the handshake, before the payload goes out.
    const wrong = 'ab'.repeat(32);
    const refused = await runCli(['connect', '--tls-fingerprint', wrong, '127.0.0.1', port], {
      stdin: 'must not arrive\n',
    });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /\[ERR_TLS_FINGERPRINT_MISMATCH\]/);
    assert.ok(refused.stderr.includes(fingerprint), 'names the actual fingerprint');
    assert.ok(refused.stderr.includes(wrong.toUpperCase().match(/../g)!.join(':')), 'and the pin');

    // No pin: the self-signed certificate fails verification, as it must.
    const unpinned = await runCli(['connect', '--tls', '127.0.0.1', port], { stdin: 'nope\n' });
    assert.equal(unpinned.code, 1, unpinned.stderr);
    assert.match(unpinned.stderr, /SELF_SIGNED|not trusted/);

    // The printed pin, in lower case without colons too.
    const pinned = await runCli(
      [
        'connect',
        '--tls-fingerprint',
        fingerprint.replaceAll(':', '').toLowerCase(),
        '127.0.0.1',
        port,
      ],
      { stdin: 'pinned hello\n' },
    );
    assert.equal(pinned.code, 0, pinned.stderr);
    await cli.stdout.waitFor(/pinned hello\n/);
    // The refused clients were gone before the pinned one connected: the sessions that
    // ended received nothing but the pinned line, and nothing else reached stdout.
    const received = [...cli.stderr.text.matchAll(/(\d+) bytes received in/g)].map((m) => m[1]);
    for (const n of received) assert.ok(n === '0' || n === '13', `a session received ${n} bytes`);
    assert.equal(cli.stdout.text, 'pinned hello\n');
    assert.doesNotMatch(cli.stdout.text, /must not arrive|nope/);
  },
);

test('--tls-fingerprint: malformed or combined with --tls-insecure/--tls-ca is a usage error', async () => {
  // Port 9 is never reached: the flags are checked first.
  for (const args of [
    ['--tls-fingerprint', 'xyz'],
    ['--tls-fingerprint', 'ab'.repeat(31)],
    ['--tls-fingerprint', 'ab'.repeat(32), '--tls-insecure'],
    ['--tls-fingerprint', 'ab'.repeat(32), '--tls-ca', '/nonexistent.pem'],
  ]) {
    const r = await runCli(['connect', ...args, '127.0.0.1', '9']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--tls-fingerprint/);
  }
  const udp = await runCli([
    'connect',
    '-u',
    '--tls-fingerprint',
    'ab'.repeat(32),
    '127.0.0.1',
    '9',
  ]);
  assert.equal(udp.code, 2);
});

test('listen --tls without openssl: a clear usage error naming --tls-cert/--tls-key', async () => {
  const r = await runCli(['listen', '--tls', '127.0.0.1', '0'], {
    env: { SOCKETKIT_OPENSSL: '/nonexistent/openssl' },
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /openssl/);
  assert.match(r.stderr, /--tls-cert FILE --tls-key FILE/);
  const half = await runCli(['listen', '--tls-cert', '/nonexistent.pem', '127.0.0.1', '0']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--tls-cert and --tls-key go together/);
});
