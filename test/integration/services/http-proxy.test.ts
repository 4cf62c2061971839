import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { echoService } from '../../../src/services/echo/index.js';
import { httpProxyService } from '../../../src/services/http-proxy/index.js';
import { needs } from '../../helpers/needs.js';
import { runPeer } from '../../helpers/peer.js';
import { closedPort, rawClient, startOrigin, startProxy } from './helpers/proxy-harness.js';
import { startServe } from './helpers/serve-harness.js';
import { instanceOf, readUntil, serve, tempDir } from './helpers/service-harness.js';

const LOOPBACK = { allowDestination: ['127.0.0.0/8', '::1'] };

/** Sends `request` and reads the proxy's answer until it closes. */
async function ask(t: TestContext, port: number, request: string | Buffer): Promise<string> {
  const sock = await rawClient(t, port);
  const reading = readUntil(sock, () => false);
  sock.write(request);
  return (await reading).toString('latin1');
}

const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);

test(
  'http-proxy: curl -x forwards plain HTTP (hop-by-hop fields removed, Via added) and curl -p -x tunnels',
  { skip: needs('curl') },
  async (t) => {
    const origin = await startOrigin(t);
    const proxy = await startProxy(t, httpProxyService, LOOPBACK);
    const url = `http://127.0.0.1:${origin.port}/path?q=1`;
    const plain = await runPeer('curl', [
      '-sS',
      '-i',
      '--max-time',
      '30',
      '-H',
      'Connection: X-Secret',
      '-H',
      'X-Secret: hop',
      '-x',
      `http://127.0.0.1:${proxy.port}`,
      url,
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    const text = plain.stdout.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nVia: 1\.1 socketkit\r\n/i);
    assert.doesNotMatch(text, /keep-alive|x-hop/i, "the origin's hop-by-hop fields were removed");
    assert.ok(text.endsWith('\r\n\r\nhello from origin\n'));
    const seen = origin.requests.at(-1)!;
    assert.equal(seen.url, '/path?q=1');
    assert.equal(seen.headers.host, `127.0.0.1:${origin.port}`);
    assert.equal(seen.headers.via, '1.1 socketkit');
    assert.equal(seen.headers['proxy-connection'], undefined);
    assert.equal(seen.headers['x-secret'], undefined, 'a field named by Connection is hop-by-hop');
    const tunnel = await runPeer('curl', [
      '-sS',
      '--max-time',
      '30',
      '-p',
      '-x',
      `http://127.0.0.1:${proxy.port}`,
      `http://localhost:${origin.port}/`,
    ]);
    assert.equal(tunnel.code, 0, tunnel.stderr);
    assert.equal(tunnel.stdout.toString(), 'hello from origin\n');
    // A chunked upload is decoded and forwarded whole.
    const post = await runPeer('curl', [
      '-sS',
      '--max-time',
      '30',
      '-H',
      'Transfer-Encoding: chunked',
      '--data-binary',
      'chunk me',
      '-x',
      `http://127.0.0.1:${proxy.port}`,
      url,
    ]);
    assert.equal(post.code, 0, post.stderr);
    assert.equal(post.stdout.toString(), 'chunk me');
    assert.equal(origin.requests.at(-1)!.body.toString(), 'chunk me');
  },
);

test(
  'http-proxy: ncat --proxy-type http talks to an echo server through a CONNECT tunnel',
  { skip: needs('ncat') },
  async (t) => {
    const echo = (await serve(t, await instanceOf(t, echoService), 'tcp')) as { port: number };
    const proxy = await startProxy(t, httpProxyService, LOOPBACK);
    const r = await runPeer(
      'ncat',
      [
        '--proxy',
        `127.0.0.1:${proxy.port}`,
        '--proxy-type',
        'http',
        '127.0.0.1',
        String(echo.port),
      ],
      {
        input: 'hello through http\n',
        until: (out) => out.toString().includes('hello through http\n'),
      },
    );
    assert.equal(r.stdout.toString(), 'hello through http\n', r.stderr);
  },
);

test(
  'http-proxy: Basic auth — 407 with Proxy-Authenticate without it or with a wrong password',
  { skip: needs('curl') },
  async (t) => {
    const origin = await startOrigin(t);
    const users = join(tempDir(t), 'users');
    writeFileSync(users, 'alice:s3cret\n', { mode: 0o600 });
    const proxy = await startProxy(t, httpProxyService, { ...LOOPBACK, proxyUsers: users });
    const url = `http://127.0.0.1:${origin.port}/`;
    const code = async (...auth: string[]): Promise<string> =>
      (
        await runPeer('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--max-time',
          '30',
          ...auth,
          '-x',
          `http://127.0.0.1:${proxy.port}`,
          url,
        ])
      ).stdout.toString();
    assert.equal(await code(), '407');
    assert.equal(await code('-U', 'alice:wrong'), '407');
    assert.equal(await code('-U', 'alice:s3cret'), '200');
    const answer = await ask(t, proxy.port, `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\n\r\n`);
    assert.equal(statusOf(answer), 407);
    assert.match(answer, /\r\nProxy-Authenticate: Basic realm="socketkit"/);
    assert.ok(proxy.logs.some((l) => l.startsWith('warn') && l.includes('authentication failed')));
  },
);

test('http-proxy: by default loopback is refused with 403 — literals, [::1] and a name that resolves to it', async (t) => {
  const origin = await startOrigin(t);
  const proxy = await startProxy(t, httpProxyService);
  for (const host of ['127.0.0.1', '[::1]', 'localhost', '[::ffff:127.0.0.1]']) {
    const authority = `${host}:${origin.port}`;
    assert.equal(
      statusOf(
        await ask(t, proxy.port, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`),
      ),
      403,
      host,
    );
    assert.equal(
      statusOf(
        await ask(t, proxy.port, `GET http://${authority}/ HTTP/1.1\r\nHost: ${authority}\r\n\r\n`),
      ),
      403,
      host,
    );
  }
  assert.equal(origin.requests.length, 0);
  assert.equal(proxy.logs.filter((l) => l.startsWith('warn') && l.includes('refused')).length, 8);
});

test('http-proxy: malformed, smuggling-shaped and oversized requests are refused (400, 431), slow heads time out (408)', async (t) => {
  const origin = await startOrigin(t);
  const proxy = await startProxy(t, httpProxyService, {
    ...LOOPBACK,
    maxHeaderBytes: 1024,
    maxHeaders: 8,
    requestTimeout: 0.2,
  });
  const to = `127.0.0.1:${origin.port}`;
  const cases: [string, number][] = [
    ['GARBAGE\r\n\r\n', 400],
    [`GET /relative HTTP/1.1\r\nHost: ${to}\r\n\r\n`, 400],
    [`GET https://${to}/ HTTP/1.1\r\n\r\n`, 400],
    [
      `GET http://${to}/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    [`POST http://${to}/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`, 400],
    [`GET http://${to}/ HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n`, 400],
    [`CONNECT ${to} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello`, 400],
    [`CONNECT nohostport HTTP/1.1\r\n\r\n`, 400],
    [`GET http://${to}/${'a'.repeat(2000)} HTTP/1.1\r\n\r\n`, 431],
    [`GET http://${to}/ HTTP/1.1\r\n${'X-A: b\r\n'.repeat(9)}\r\n`, 431],
    [`POST http://${to}/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
  ];
  for (const [request, status] of cases) {
    const answer = await ask(t, proxy.port, request);
    assert.equal(
      statusOf(answer),
      status,
      `${JSON.stringify(request.slice(0, 60))} → ${answer.split('\r\n')[0]}`,
    );
    assert.ok(
      !answer.includes('a'.repeat(100)) && !answer.includes('GARBAGE'),
      'nothing of the request is echoed',
    );
  }
  assert.equal(origin.requests.length, 0, 'no malformed request reached the origin');
  // A head that never ends: 408 once the request timeout passes.
  const slow = await startProxy(t, httpProxyService, { ...LOOPBACK, requestTimeout: 0.2 });
  assert.equal(statusOf(await ask(t, slow.port, `GET http://${to}/ HTTP/1.1\r\nX-Slow: `)), 408);
  // Connection refused: 502.
  assert.equal(
    statusOf(await ask(t, proxy.port, `CONNECT 127.0.0.1:${await closedPort()} HTTP/1.1\r\n\r\n`)),
    502,
  );
});

test(
  'http-proxy: serve http-proxy from the CLI takes the shared flags (curl through it; the default still denies other ports)',
  { skip: needs('curl') },
  async (t) => {
    const origin = await startOrigin(t);
    const run = await startServe([
      'http-proxy',
      '--port',
      '0',
      '--allow-destination',
      '127.0.0.0/8',
      '--allow-port',
      String(origin.port),
      '--tunnel-idle-timeout',
      '30',
    ]);
    t.after(() => run.stop());
    assert.deepEqual(
      run.rows.map((r) => [r.service, r.transport]),
      [['http-proxy', 'tcp']],
    );
    const port = run.rows[0]!.port;
    const ok = await runPeer('curl', [
      '-sS',
      '--max-time',
      '30',
      '-x',
      `http://127.0.0.1:${port}`,
      `http://127.0.0.1:${origin.port}/`,
    ]);
    assert.equal(ok.stdout.toString(), 'hello from origin\n', ok.stderr);
    const other = await runPeer('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      '30',
      '-x',
      `http://127.0.0.1:${port}`,
      `http://127.0.0.1:${await closedPort()}/`,
    ]);
    assert.equal(other.stdout.toString(), '403');
  },
);
