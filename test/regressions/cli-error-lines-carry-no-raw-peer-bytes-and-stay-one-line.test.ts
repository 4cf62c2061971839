/**
 * Regression (session 6 probe): the CLI's last word, `socketkit: MESSAGE [CODE]`, printed
 * the error's message raw. Messages carry what a peer sent: Node's hostname-mismatch text
 * quotes the server certificate's CN, so a server (trusted through `--tls-ca`, or any
 * CA-signed one) whose CN holds `ESC ] 0 ; … BEL ESC [ 2 J` retitled and cleared the
 * user's terminal from `connect --tls` or `relay stdio tls:`; OpenSSL's reasons end in a
 * newline, which split the line before its code. Now the line is neutralised (`\x1b`
 * shown, not sent) and trimmed: one line per error.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as tls from 'node:tls';
import { runCli } from '../helpers/cli.js';
import { needs } from '../helpers/needs.js';
import { tempDir } from '../integration/services/helpers/service-harness.js';

const HOSTILE_CN = 'x\x1b]0;pwned\x07\x1b[2J';

/** A TLS server on 127.0.0.1 whose certificate's CN is {@link HOSTILE_CN}; its port and cert file. */
async function hostileTlsServer(t: TestContext): Promise<{ port: number; cert: string }> {
  const dir = tempDir(t);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${HOSTILE_CN}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const server = tls.createServer({ cert: readFileSync(cert), key: readFileSync(key) });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return { port: (server.address() as { port: number }).port, cert };
}

function assertOneSafeLine(stderr: string, what: string): void {
  assert.doesNotMatch(stderr, /[\x00-\x09\x0b-\x1f\x7f]/, `${what}: a raw control character`);
  assert.equal(stderr.split('\n').length, 2, `${what}: one line: ${JSON.stringify(stderr)}`);
  assert.match(stderr, /\[[A-Z_]+\]\n$/, `${what}: the code ends the line`);
}

test(
  "a certificate's hostile CN reaches the terminal escaped, in one line",
  { skip: needs('openssl') },
  async (t) => {
    const { port, cert } = await hostileTlsServer(t);
    const connect = await runCli(['connect', '--tls', '--tls-ca', cert, 'localhost', String(port)]);
    assert.equal(connect.code, 1);
    assertOneSafeLine(connect.stderr, 'connect --tls');
    assert.ok(connect.stderr.includes('x\\x1b]0;pwned\\x07\\x1b[2J'), connect.stderr);
    const relay = await runCli(['relay', '--tls-ca', cert, 'stdio', `tls:localhost:${port}`]);
    assert.equal(relay.code, 1);
    assertOneSafeLine(relay.stderr, 'relay stdio tls:');
  },
);

test("OpenSSL's reason (it ends in a newline) stays on the error's line", async (t) => {
  // Not a TLS server: the client's handshake fails with "wrong version number".
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const relay = await runCli(['relay', 'stdio', `tls:127.0.0.1:${port}`]);
  assert.equal(relay.code, 1);
  assertOneSafeLine(relay.stderr, 'relay stdio tls: to a plain server');
});
