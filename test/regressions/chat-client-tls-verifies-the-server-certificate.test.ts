/**
 * Issue 10, defect 7 (chat client): `socketkit chat` had no TLS; with `--tls` it must
 * verify the server's certificate (CA and host name) against the system CAs or
 * `--tls-ca`, and `--tls-insecure` is the explicit, loud opt-out.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { runCli } from '../helpers/cli.js';
import { trySelfSignedCert } from '../helpers/tls-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-chat-tls-'));
const pair = trySelfSignedCert(dir);
const skip = pair === null ? 'openssl is missing: chat TLS test SKIPPED' : false;
if (pair === null) console.warn(`\n!!! ${skip} !!!\n`);

describe('socketkit chat --tls', () => {
  let server: tls.Server | undefined;
  let port = 0;
  before(async () => {
    if (pair === null) return;
    server = tls.createServer(
      { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
      (sock) => {
        sock.on('error', () => {});
        sock.write('<server> welcome over tls\r\n');
        sock.on('data', () => sock.end());
      },
    );
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate by default', { skip }, async () => {
    const r = await runCli(['chat', '127.0.0.1', String(port), '--plain', '--tls']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /certificate is not trusted: pass --tls-ca FILE/);
    assert.doesNotMatch(r.stdout, /welcome/);
  });

  it('accepts it with --tls-ca, and checks the host name', { skip }, async () => {
    const ca = pair?.cert ?? '';
    const ok = await runCli(['chat', '127.0.0.1', String(port), '--plain', '--tls-ca', ca]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^<server> welcome over tls$/m);
    const name = await runCli([
      'chat',
      '127.0.0.1',
      String(port),
      '--plain',
      '--tls-ca',
      ca,
      '--tls-servername',
      'other.example',
    ]);
    assert.equal(name.code, 1, name.stderr);
    assert.match(name.stderr, /certificate is for other names.*ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('--tls-insecure connects, loudly', { skip }, async () => {
    const r = await runCli(['chat', '127.0.0.1', String(port), '--plain', '--tls-insecure']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /welcome over tls/);
    assert.match(
      r.stderr,
      /WARNING: --tls-insecure: the certificate of 127\.0\.0\.1 is NOT verified/,
    );
  });
});
