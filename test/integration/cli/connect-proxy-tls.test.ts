// `socketkit connect --proxy … --tls` (ncat's --ssl through a proxy): TLS with the
// destination over the tunnel of `serve socks`, `serve http-proxy` (with --proxy-auth) and
// ncat's HTTP proxy, to a node TLS server whose certificate a throwaway CA issued for
// `localhost` only — so it verifies only if the name checked is the destination's, never
// the proxy's 127.0.0.1. A refused certificate: exit 1 with the hint, no application byte
// sent, and the tunnel closed at once (the proxy's connection count back to 0).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as tls from 'node:tls';
import type { CloseMessage } from '../../../src/server/server-channels.js';
import { httpProxyService } from '../../../src/services/http-proxy/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import { runCli } from '../../helpers/cli.js';
import { needs } from '../../helpers/needs.js';
import { freePort, run } from '../../helpers/netcat.js';
import { type TestCa, testCa } from '../../helpers/tls-cert.js';
import { watchChannel } from '../../helpers/wait.js';
import { startProxy } from '../services/helpers/proxy-harness.js';

const skip = needs('openssl');
const LOOPBACK = { allowDestination: ['127.0.0.0/8', '::1'] };

function setup(t: TestContext): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'sk-proxy-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return testCa(dir);
}

interface Destination {
  port: number;
  /** The SNI of each handshake that completed on the server's side. */
  servernames: (string | false)[];
  /** Application bytes received (under TLS), all connections together. */
  received: () => number;
}

/**
 * A TLS echo server on 127.0.0.1 with `pair`; ends its side at the client's end. With
 * `greeting`, it sends that and closes instead.
 */
async function tlsEcho(
  t: TestContext,
  pair: { cert: string; key: string },
  greeting?: string,
): Promise<Destination> {
  const servernames: (string | false)[] = [];
  let received = 0;
  const server = tls.createServer(
    { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
    (s) => {
      servernames.push(s.servername ?? false);
      s.on('error', () => {});
      if (greeting !== undefined) {
        s.end(greeting);
        return;
      }
      s.on('data', (c: Buffer) => {
        received += c.length;
        s.write(c);
      });
      s.on('end', () => s.end());
    },
  );
  server.on('tlsClientError', () => {}); // the refused handshakes of these tests
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    port: (server.address() as net.AddressInfo).port,
    servernames,
    received: () => received,
  };
}

/** Resolves once the in-process proxy on `port` has no connection left. */
function proxyIdle(t: TestContext, port: number): () => Promise<unknown> {
  const closes = watchChannel<CloseMessage>(t, 'socketkit:server:close');
  return () =>
    closes.waitFor(
      (all) =>
        all.some(
          (m) =>
            m.server.address.family !== 'unix' &&
            m.server.address.port === port &&
            m.server.connections === 0,
        ),
      { what: `the proxy on port ${port} to close its last connection` },
    );
}

test(
  'connect --proxy socks5 --tls --tls-ca: verified for the destination name, SNI sent, echo',
  { skip },
  async (t) => {
    const ca = setup(t);
    const dest = await tlsEcho(t, ca.issue('dest', ['DNS:localhost']));
    const proxy = await startProxy(t, socksService, LOOPBACK);
    const r = await runCli([
      'connect',
      '-v',
      '--proxy',
      `127.0.0.1:${proxy.port}`,
      '--proxy-type',
      'socks5',
      '--tls-ca',
      ca.ca,
      '--send',
      'over tls through socks\\n',
      'localhost',
      String(dest.port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'over tls through socks\n');
    assert.deepEqual(dest.servernames, ['localhost']);
    assert.match(
      r.stderr,
      new RegExp(
        `Connected to localhost:${dest.port} through socks5 proxy 127\\.0\\.0\\.1:${proxy.port}\\.`,
      ),
    );
    assert.doesNotMatch(r.stderr, /WARNING/);
  },
);

test(
  'connect --proxy (http) --proxy-auth --tls --tls-ca through serve http-proxy',
  { skip },
  async (t) => {
    const ca = setup(t);
    const dest = await tlsEcho(t, ca.issue('dest', ['DNS:localhost']));
    const dir = mkdtempSync(join(tmpdir(), 'sk-proxy-tls-users-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const users = join(dir, 'users');
    writeFileSync(users, 'bob:hunter2\n', { mode: 0o600 });
    const proxy = await startProxy(t, httpProxyService, {
      ...LOOPBACK,
      allowPort: [String(dest.port)],
      proxyUsers: users,
    });
    const r = await runCli([
      'connect',
      '--proxy',
      `127.0.0.1:${proxy.port}`,
      '--proxy-auth',
      'bob:hunter2',
      '--tls',
      '--tls-ca',
      ca.ca,
      '--send',
      'over tls through http\\n',
      'localhost',
      String(dest.port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'over tls through http\n');
    assert.doesNotMatch(r.stderr, /hunter2/);
  },
);

test(
  'connect --proxy --tls refuses an untrusted certificate: exit 1, nothing sent, the tunnel closed at once',
  { skip },
  async (t) => {
    const ca = setup(t);
    const dest = await tlsEcho(t, ca.issue('dest', ['DNS:localhost']));
    const proxy = await startProxy(t, socksService, LOOPBACK);
    const idle = proxyIdle(t, proxy.port);
    const r = await runCli([
      'connect',
      '--proxy',
      `127.0.0.1:${proxy.port}`,
      '--proxy-type',
      'socks5',
      '--tls',
      '--send',
      'must not be sent\\n',
      'localhost',
      String(dest.port),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /TLS handshake with localhost:\d+ through socks5 proxy 127\.0\.0\.1:\d+ failed: unable to verify the first certificate \(the server's certificate is not trusted: pass --tls-ca FILE.*\) \[UNABLE_TO_VERIFY_LEAF_SIGNATURE\]/,
    );
    // The tunnel's socket was destroyed with the handshake: the proxy sees the close now,
    // not after a timeout (a leftover connection once held the test's teardown 12–23 s).
    await idle();
    assert.equal(dest.received(), 0);

    // --tls-insecure: the same destination, no verification, a warning every time.
    const insecure = await runCli([
      'connect',
      '--proxy',
      `127.0.0.1:${proxy.port}`,
      '--proxy-type',
      'socks5',
      '--tls-insecure',
      '--send',
      'unverified\\n',
      'localhost',
      String(dest.port),
    ]);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.equal(insecure.stdout, 'unverified\n');
    assert.match(
      insecure.stderr,
      /WARNING: --tls-insecure: the certificate of localhost is NOT verified/,
    );
  },
);

test(
  'connect --proxy --tls checks the destination name, not the proxy address',
  { skip },
  async (t) => {
    const ca = setup(t);
    const dest = await tlsEcho(t, ca.issue('dest', ['DNS:localhost']));
    const proxy = await startProxy(t, socksService, LOOPBACK);
    const idle = proxyIdle(t, proxy.port);
    // By address: the certificate names localhost only.
    const r = await runCli([
      'connect',
      '--proxy',
      `127.0.0.1:${proxy.port}`,
      '--proxy-type',
      'socks5',
      '--tls-ca',
      ca.ca,
      '127.0.0.1',
      String(dest.port),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /certificate is for other names.*\[ERR_TLS_CERT_ALTNAME_INVALID\]/);
    await idle();
  },
);

test(
  'connect --proxy-type http --tls through ncat -l --proxy-type http (a proxy we did not write)',
  { skip: needs('openssl', 'ncat') },
  async (t) => {
    const ca = setup(t);
    // An address, as ncat's proxy may resolve localhost to ::1, where nothing listens.
    // A greeting and --recv-only: ncat's proxy closes the whole tunnel at our FIN.
    const dest = await tlsEcho(t, ca.issue('dest', ['IP:127.0.0.1']), 'greetings via ncat\n');
    const proxyPort = await freePort();
    const ncat = run(t, 'ncat', [
      '-v',
      '-l',
      '--proxy-type',
      'http',
      '127.0.0.1',
      String(proxyPort),
    ]);
    // ncat's proxy mode binds :: first, then IPv4, one line each: wait for the IPv4 one.
    await ncat.stderr.waitFor(/Listening on (?:0\.0\.0\.0|127\.0\.0\.1):\d+/);
    const r = await runCli([
      'connect',
      '--proxy',
      `127.0.0.1:${proxyPort}`,
      '--proxy-type',
      'http',
      '--tls-ca',
      ca.ca,
      '--recv-only',
      '127.0.0.1',
      String(dest.port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'greetings via ncat\n');
  },
);
