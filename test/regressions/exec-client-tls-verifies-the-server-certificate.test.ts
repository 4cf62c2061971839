// Issue 10, defect 7 (exec client): `socketkit exec --tls` must verify the server's
// certificate (CA and host name) against the system CAs or --tls-ca, and refuse before
// sending anything; --tls-insecure is the explicit, loud opt-out.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { selfSignedCert } from '../helpers/netcat.js';
import { needs } from '../helpers/needs.js';
import { SECRET } from '../integration/services/exec-harness.js';
import { startServe } from '../integration/services/helpers/serve-harness.js';

test('socketkit exec --tls: unknown CA and wrong host name refused; --tls-ca works; --tls-insecure warns', async (t) => {
  const why = needs('openssl');
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'sk-exec-tlsv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, SECRET);
  chmodSync(secretFile, 0o600);
  // The certificate names localhost and 127.0.0.1; the server also answers on 127.0.0.2.
  const { cert, key } = selfSignedCert(dir);
  const run = await startServe([
    'exec',
    '--host',
    '127.0.0.2',
    '--port',
    '0',
    '--secret-file',
    secretFile,
    '--replay-store',
    'memory',
    '--tls-cert',
    cert,
    '--tls-key',
    key,
    '--allow-command',
    'echo=/bin/echo',
    '--allow-args',
    'echo=.*',
  ]);
  t.after(() => run.stop());
  const port = String(run.rows[0]?.port);
  const exec = (...flags: string[]) =>
    runCli(['exec', '127.0.0.2', port, '--secret-file', secretFile, ...flags, 'echo', 'hi'], {
      env: {},
    });

  const unknownCa = await exec('--tls');
  assert.equal(unknownCa.code, 1);
  assert.equal(unknownCa.stdout, '');
  assert.match(unknownCa.stderr, /not trusted: pass --tls-ca/);

  const wrongName = await exec('--tls-ca', cert);
  assert.equal(wrongName.code, 1);
  assert.equal(wrongName.stdout, '');
  assert.match(wrongName.stderr, /for other names.*ERR_TLS_CERT_ALTNAME_INVALID/);

  const insecure = await exec('--tls-insecure');
  assert.equal(insecure.stdout, 'hi\n', insecure.stderr);
  assert.match(
    insecure.stderr,
    /WARNING: --tls-insecure: the certificate of 127\.0\.0\.2 is NOT verified/,
  );
});
