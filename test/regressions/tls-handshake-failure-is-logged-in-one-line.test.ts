/**
 * A plain-text client on a TLS port: `serve`'s log says so in one line ("echo/tls tls
 * handshake failed from 127.0.0.1:P: the client did not speak TLS (plain text?)"), not
 * OpenSSL's multi-line message with its source paths.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeTlsHandshakeError } from '../../src/server/describe-tls-handshake-error.js';
import { trySelfSignedCert } from '../helpers/tls-cert.js';

const root = join(import.meta.dirname, '..', '..');

test('a plain-text client on a TLS port is one log line that says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-tls-plain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pem = trySelfSignedCert(dir);
  if (pem === null) return t.skip('openssl is not installed');
  const args = ['serve', 'echo', '-p', '0', '--tcp', '--tls-cert', pem.cert, '--tls-key', pem.key];
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/bin.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  const seen = (pick: () => string, re: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not seen: ${re}\n${stderr}`)), 30_000);
      const check = (): void => {
        const m = re.exec(pick());
        if (m === null) return;
        clearTimeout(timer);
        resolve(m);
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      check();
    });
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const port = Number((await seen(() => stdout, /127\.0\.0\.1:(\d+)/))[1]);

  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.end('hello, this is not TLS\n');
  const [line] = await seen(() => stderr, /^.*tls handshake failed.*\n/m);
  assert.match(
    line,
    /WARN {2}echo\/tls tls handshake failed from 127\.0\.0\.1:\d+: the client did not speak TLS \(plain text\?\)\n$/,
  );
  assert.doesNotMatch(stderr, /SSL routines|openssl|ssl3_get_record/);
});

test('describeTlsHandshakeError: one line, whatever OpenSSL says', () => {
  const raw = Object.assign(
    new Error(
      '806C88F03E7F0000:error:0A000412:SSL routines:ssl3_read_bytes:some new reason:../deps/openssl/ssl/record/rec_layer_s3.c:1586:\n',
    ),
    { code: 'ERR_SSL_SOMETHING_NEW' },
  );
  assert.equal(describeTlsHandshakeError(raw), 'some new reason [ERR_SSL_SOMETHING_NEW]');
  const http = Object.assign(new Error('x'), { code: 'ERR_SSL_HTTP_REQUEST' });
  assert.match(describeTlsHandshakeError(http), /plain HTTP/);
  assert.equal(describeTlsHandshakeError(new Error('a\nb\u001b[31m')), 'a');
  assert.equal(describeTlsHandshakeError('line one\u0007 and more'), 'line one and more');
});
