/**
 * `connect --proxy HOST:PORT --proxy-type socks5|http --tls --tls-fingerprint FP HOST PORT`:
 * TLS with the destination over the proxy's tunnel (`connectThroughProxy({ tls })` →
 * `Socket.startTls`), its certificate pinned by the check of src/socket/tls-pin.ts. The
 * destination is a `listen --tls` with its temporary certificate; the proxies are
 * socketkit's own `serve socks` / `serve http-proxy` and one we did not write, ncat's
 * HTTP proxy (`ncat -l --proxy-type http`).
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { needs } from '../../helpers/needs.js';
import { freePort, run, startCli, within } from '../../helpers/netcat.js';
import { startServe } from '../services/helpers/serve-harness.js';
import { upperCaseTlsListener, WRONG_FINGERPRINT } from './helpers/tls-listener.js';

/**
 * Through a proxy of `type` (started by `startProxy` for the listener's port; resolves
 * with its own) to the listener: the right pin relays both ways, a wrong one fails with
 * one clear line and exit status 1.
 */
async function pinThrough(
  t: TestContext,
  type: 'socks5' | 'http',
  startProxy: (destinationPort: number) => Promise<number>,
): Promise<void> {
  const listener = await upperCaseTlsListener(t);
  const proxyPort = await startProxy(listener.port);
  const via = ['--proxy', `127.0.0.1:${proxyPort}`, '--proxy-type', type, '--tls'];
  const dest = ['127.0.0.1', String(listener.port)];

  // Our side stays open until the answer is in: ncat's proxy closes the whole tunnel at
  // the client's FIN (no half-close), which would lose the answer.
  const input = new PassThrough();
  const ok = startCli(
    t,
    ['connect', '-v', ...via, '--tls-fingerprint', listener.fingerprint, ...dest],
    input,
  );
  input.write(`pinned through ${type}\n`);
  // The listener's command upper-cased it: the bytes went there and came back.
  await ok.stdout.waitFor(new RegExp(`PINNED THROUGH ${type.toUpperCase()}\n`));
  input.end();
  assert.equal(await within(ok.done, 'connect to end'), 0, ok.stderr.text);
  assert.equal(ok.stdout.text, `PINNED THROUGH ${type.toUpperCase()}\n`);
  assert.match(
    ok.stderr.text,
    new RegExp(`Connected to 127\\.0\\.0\\.1:${listener.port} through ${type} proxy`),
  );

  const wrong = await runCli(['connect', ...via, '--tls-fingerprint', WRONG_FINGERPRINT, ...dest], {
    stdin: 'must not arrive\n',
  });
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.equal(wrong.stdout, '');
  const lines = wrong.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, wrong.stderr);
  // It names the destination (not the proxy), both fingerprints and the code.
  assert.match(
    lines[0]!,
    new RegExp(
      `^socketkit: the TLS certificate of 127\\.0\\.0\\.1:${listener.port} is not the pinned one: SHA-256 fingerprint ${listener.fingerprint}, expected ${WRONG_FINGERPRINT} \\[ERR_TLS_FINGERPRINT_MISMATCH\\]$`,
    ),
  );
  // No session of the listener received more than the pinned line (the refused client's
  // bytes never went out: its output would have come back upper-cased, too).
  const line = `pinned through ${type}\n`.length;
  for (const m of listener.cli.stderr.text.matchAll(/(\d+) bytes received in/g)) {
    assert.ok(m[1] === '0' || Number(m[1]) === line, `a session received ${m[1]} bytes`);
  }
}

test(
  'connect --proxy (serve socks) --tls --tls-fingerprint: the printed pin relays both ways; a wrong one is one line, exit 1',
  { skip: needs('openssl') },
  async (t) => {
    await pinThrough(t, 'socks5', async () => {
      const serve = await startServe([
        'socks',
        '--port',
        '0',
        '--allow-destination',
        '127.0.0.0/8',
      ]);
      t.after(() => serve.stop());
      return serve.rows[0]!.port!;
    });
  },
);

test(
  'connect --proxy (serve http-proxy) --tls --tls-fingerprint: the same over HTTP CONNECT',
  { skip: needs('openssl') },
  async (t) => {
    await pinThrough(t, 'http', async (destinationPort) => {
      // http-proxy tunnels to 443 only unless told otherwise: the listener's port.
      const serve = await startServe([
        'http-proxy',
        '--port',
        '0',
        '--allow-destination',
        '127.0.0.0/8',
        '--allow-port',
        String(destinationPort),
      ]);
      t.after(() => serve.stop());
      return serve.rows[0]!.port!;
    });
  },
);

test(
  'connect --proxy through ncat -l --proxy-type http (a proxy we did not write), pinned',
  { skip: needs('openssl', 'ncat') },
  async (t) => {
    await pinThrough(t, 'http', async () => {
      const port = await freePort();
      // ncat 7.93's proxy mode binds every address whatever address it is given (:: and
      // 0.0.0.0), so --allow keeps it to loopback clients: no one else can use it.
      const ncat = run(t, 'ncat', [
        '-v',
        '-l',
        '--proxy-type',
        'http',
        '--allow',
        '127.0.0.1',
        '127.0.0.1',
        String(port),
      ]);
      await ncat.stderr.waitFor(
        /Listening on (?:127\.0\.0\.1|0\.0\.0\.0):\d+/,
        "ncat's listening line",
      );
      return port;
    });
  },
);
