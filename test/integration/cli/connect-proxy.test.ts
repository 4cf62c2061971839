// `socketkit connect --proxy`: through socketkit's own SOCKS and HTTP proxies and through
// ncat's HTTP proxy (a proxy we did not write); ncat and curl as clients of our proxies
// with credentials; refused credentials, a silent proxy and the usage errors.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { echoService } from '../../../src/services/echo/index.js';
import { httpProxyService } from '../../../src/services/http-proxy/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import { runCli } from '../../helpers/cli.js';
import { needs } from '../../helpers/needs.js';
import { freePort, run } from '../../helpers/netcat.js';
import { runPeer } from '../../helpers/peer.js';
import { startOrigin, startProxy } from '../services/helpers/proxy-harness.js';
import { instanceOf, serve, tempDir } from '../services/helpers/service-harness.js';

const LOOPBACK = { allowDestination: ['127.0.0.0/8', '::1'] };

/** A server that greets each client with a line and closes. */
async function greeter(t: TestContext, line: string): Promise<number> {
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.end(line);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

function usersFile(t: TestContext, text: string): string {
  const path = join(tempDir(t), 'users');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

test('connect --proxy socks5 (user/password) and socks4a through serve socks; the password is never printed', async (t) => {
  const echo = ((await serve(t, await instanceOf(t, echoService), 'tcp')) as { port: number }).port;
  const proxy = await startProxy(t, socksService, {
    ...LOOPBACK,
    socksUsers: usersFile(t, 'alice:pw-secret-1\n'),
  });
  const r = await runCli([
    'connect',
    '-v',
    '--proxy',
    `127.0.0.1:${proxy.port}`,
    '--proxy-type',
    'socks5',
    '--proxy-auth',
    'alice:pw-secret-1',
    '--send',
    'both ways\\n',
    'localhost',
    String(echo),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'both ways\n');
  assert.match(
    r.stderr,
    new RegExp(
      `Connected to localhost:${echo} through socks5 proxy 127\\.0\\.0\\.1:${proxy.port}\\.`,
    ),
  );
  assert.doesNotMatch(r.stderr, /pw-secret-1/);

  // The same credentials from the environment (kept out of the process list, as NCAT_PROXY_AUTH).
  const viaEnv = await runCli(
    [
      'connect',
      '--proxy',
      `127.0.0.1:${proxy.port}`,
      '--proxy-type',
      'socks5',
      '--send',
      'env\\n',
      '127.0.0.1',
      String(echo),
    ],
    { env: { SOCKETKIT_PROXY_AUTH: 'alice:pw-secret-1' } },
  );
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(viaEnv.stdout, 'env\n');

  const wrong = await runCli([
    'connect',
    '--proxy',
    `127.0.0.1:${proxy.port}`,
    '--proxy-type',
    'socks5',
    '--proxy-auth',
    'alice:pw-wrong-2',
    '127.0.0.1',
    String(echo),
  ]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /refused the user name and password \[ERR_PROXY_AUTH\]/);
  assert.doesNotMatch(wrong.stderr, /pw-wrong-2/);

  // SOCKS4 is served only without credentials: a second proxy, and a name (SOCKS4a).
  const open = await startProxy(t, socksService, LOOPBACK);
  const four = await runCli([
    'connect',
    '--proxy',
    `127.0.0.1:${open.port}`,
    '--proxy-type',
    'socks4',
    '--proxy-auth',
    'someone',
    '--send',
    'four\\n',
    'localhost',
    String(echo),
  ]);
  assert.equal(four.code, 0, four.stderr);
  assert.equal(four.stdout, 'four\n');
});

test('connect --proxy (http, the default type) through serve http-proxy with Basic auth', async (t) => {
  const port = await greeter(t, 'greetings via http-proxy\n');
  const proxy = await startProxy(t, httpProxyService, {
    ...LOOPBACK,
    allowPort: [String(port)],
    proxyUsers: usersFile(t, 'bob:hunter2\n'),
  });
  const r = await runCli([
    'connect',
    '--recv-only',
    '--proxy',
    `127.0.0.1:${proxy.port}`,
    '--proxy-auth',
    'bob:hunter2',
    'localhost',
    String(port),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'greetings via http-proxy\n');
  const none = await runCli([
    'connect',
    '--recv-only',
    '--proxy',
    `127.0.0.1:${proxy.port}`,
    '127.0.0.1',
    String(port),
  ]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /requires authentication \(407\).*\[ERR_PROXY_AUTH\]/);
});

test(
  'connect --proxy-type http through ncat -l --proxy-type http --proxy-auth (a proxy we did not write)',
  { skip: needs('ncat') },
  async (t) => {
    const port = await greeter(t, 'greetings via ncat\n');
    const proxyPort = await freePort();
    const ncat = run(t, 'ncat', [
      '-v',
      '-l',
      '--proxy-type',
      'http',
      '--proxy-auth',
      'carol:pa55',
      '127.0.0.1',
      String(proxyPort),
    ]);
    // ncat's proxy mode binds :: first, then IPv4, one line each: wait for the IPv4 one.
    await ncat.stderr.waitFor(/Listening on (?:0\.0\.0\.0|127\.0\.0\.1):\d+/);
    const r = await runCli([
      'connect',
      '--recv-only',
      '--proxy',
      `127.0.0.1:${proxyPort}`,
      '--proxy-type',
      'http',
      '--proxy-auth',
      'carol:pa55',
      '127.0.0.1',
      String(port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'greetings via ncat\n');
  },
);

test(
  'ncat --proxy-auth (socks5, RFC 1929), ncat socks4 and curl --socks5-hostname --proxy-user against serve socks',
  { skip: needs('ncat', 'curl') },
  async (t) => {
    const port = await greeter(t, 'greetings to ncat\n');
    const proxy = await startProxy(t, socksService, {
      ...LOOPBACK,
      socksUsers: usersFile(t, 'dave:pw3\n'),
    });
    const r = await runPeer(
      'ncat',
      [
        '--proxy',
        `127.0.0.1:${proxy.port}`,
        '--proxy-type',
        'socks5',
        '--proxy-auth',
        'dave:pw3',
        '--recv-only',
        '127.0.0.1',
        String(port),
      ],
      { until: (out) => out.toString().includes('\n') },
    );
    assert.equal(r.stdout.toString(), 'greetings to ncat\n', r.stderr);
    // ncat's SOCKS4 client (an IPv4 destination; SOCKS4 is served without passwords only).
    const open = await startProxy(t, socksService, LOOPBACK);
    const four = await runPeer(
      'ncat',
      [
        '--proxy',
        `127.0.0.1:${open.port}`,
        '--proxy-type',
        'socks4',
        '--recv-only',
        '127.0.0.1',
        String(port),
      ],
      { until: (out) => out.toString().includes('\n') },
    );
    assert.equal(four.stdout.toString(), 'greetings to ncat\n', four.stderr);
    const origin = await startOrigin(t);
    const c = await runPeer('curl', [
      '-sS',
      '--max-time',
      '30',
      '--socks5-hostname',
      `127.0.0.1:${proxy.port}`,
      '--proxy-user',
      'dave:pw3',
      `http://localhost:${origin.port}/`,
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.toString(), 'hello from origin\n');
  },
);

test('connect --proxy to a proxy that never answers gives up after -w (exit 1, ERR_SOCKET_TIMEOUT)', async (t) => {
  const silent = net.createServer((sock) => sock.on('error', () => {}));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => silent.close());
  const r = await runCli([
    'connect',
    '-w',
    '300ms',
    '--proxy',
    `127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
    '--proxy-type',
    'socks5',
    'x.test',
    '80',
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /(socks5 handshake|connect to the proxy) \(socks5 proxy .* timed out after 0\.3 s .*\[ERR_SOCKET_TIMEOUT\]/,
  );
});

test('connect --proxy usage errors', async () => {
  for (const [argv, pattern] of [
    [['--proxy-type', 'socks5', 'h', '1'], /need --proxy/],
    [['--proxy', '127.0.0.1:1', '--proxy-type', 'socks6', 'h', '1'], /unknown type "socks6"/],
    [['--proxy', '127.0.0.1:1', '-u', 'h', '1'], /cannot be used with -u/],
    [['--proxy', '::1:1080', 'h', '1'], /IPv6 address in brackets/],
    [['--proxy', '127.0.0.1:0', 'h', '1'], /port must be/],
    [
      ['--proxy', '127.0.0.1:1', '--proxy-type', 'socks5', '--proxy-auth', 'nopass', 'h', '1'],
      /needs USER:PASS/,
    ],
    [
      ['--proxy', '127.0.0.1:1', '--proxy-type', 'socks4', '::1', '1'],
      /SOCKS4 cannot reach an IPv6/,
    ],
  ] as const) {
    const r = await runCli(['connect', ...argv]);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, argv.join(' '));
  }
});
