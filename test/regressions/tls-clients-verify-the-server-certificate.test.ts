// Defect 7 of issue 10: `connect --tls` did not verify the server's certificate, even
// with --tls-ca. Now every CLI client verifies by default (its chain against the system
// CAs or --tls-ca, its name against the host — an IP against the IP SANs), and
// --tls-insecure is the explicit opt-out that warns on stderr each time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { runCli } from '../helpers/cli.js';
import { type TestCa, testCa } from '../helpers/tls-cert.js';

const skip = spawnSync('openssl', ['version']).status === 0 ? false : 'needs openssl';

/** A TLS server on 127.0.0.1 with `pair` that greets each client and closes. */
async function greeter(t: TestContext, pair: { cert: string; key: string }): Promise<string> {
  const server = tls.createServer(
    { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
    (s) => {
      s.on('error', () => {});
      s.end('hello over tls\n');
    },
  );
  server.on('tlsClientError', () => {}); // the refused handshakes of this test
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return String((server.address() as { port: number }).port);
}

function setup(t: TestContext): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'sk-tls-verify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return testCa(dir);
}

test(
  'an untrusted certificate fails with a clear error and exit 1; --tls-ca trusts its CA',
  { skip },
  async (t) => {
    const ca = setup(t);
    const port = await greeter(t, ca.issue('local', ['DNS:localhost', 'IP:127.0.0.1']));
    const untrusted = await runCli(['connect', '--tls', '127.0.0.1', port], { stdin: '' });
    assert.equal(untrusted.code, 1, untrusted.stderr);
    assert.equal(untrusted.stdout, '');
    assert.match(
      untrusted.stderr,
      /cannot connect to 127\.0\.0\.1:\d+: unable to verify the first certificate \(the server's certificate is not trusted: pass --tls-ca FILE.*--tls-insecure skips verification, unsafe\) \[UNABLE_TO_VERIFY_LEAF_SIGNATURE\]/,
    );
    const byIp = await runCli(['connect', '--tls-ca', ca.ca, '127.0.0.1', port], { stdin: '' });
    assert.equal(byIp.code, 0, byIp.stderr);
    assert.equal(byIp.stdout, 'hello over tls\n');
    const byName = await runCli(['connect', '-4', '--tls-ca', ca.ca, 'localhost', port], {
      stdin: '',
    });
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(byName.stdout, 'hello over tls\n');
    assert.doesNotMatch(byIp.stderr + byName.stderr, /WARNING/);
  },
);

test(
  'a certificate for another name fails, even from a trusted CA; --tls-servername names it',
  { skip },
  async (t) => {
    const ca = setup(t);
    const port = await greeter(t, ca.issue('other', ['DNS:other.test', 'IP:127.0.0.9']));
    const wrong = await runCli(['connect', '--tls-ca', ca.ca, '127.0.0.1', port], { stdin: '' });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /IP: 127\.0\.0\.1 is not in the cert's list/);
    assert.match(wrong.stderr, /certificate is for other names.*\[ERR_TLS_CERT_ALTNAME_INVALID\]/);
    const named = await runCli(
      ['connect', '--tls-ca', ca.ca, '--tls-servername', 'other.test', '127.0.0.1', port],
      { stdin: '' },
    );
    assert.equal(named.code, 0, named.stderr);
    assert.equal(named.stdout, 'hello over tls\n');
  },
);

test('--tls-insecure connects without verification and warns every time', { skip }, async (t) => {
  const ca = setup(t);
  const port = await greeter(t, ca.issue('other', ['DNS:other.test']));
  for (let i = 0; i < 2; i++) {
    const r = await runCli(['connect', '--tls-insecure', '127.0.0.1', port], { stdin: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello over tls\n');
    assert.match(
      r.stderr,
      /WARNING: --tls-insecure: the certificate of 127\.0\.0\.1 is NOT verified/,
    );
  }
  const both = await runCli(['connect', '--tls-insecure', '--tls-verify', '127.0.0.1', port]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--tls-insecure and --tls-verify cannot be used together/);
});
