// connectThroughProxy against real proxies on loopback: socketkit's own `serve socks` and
// `serve http-proxy` services, ncat's HTTP proxy (a proxy we did not write), and hostile
// proxies written here that answer garbage, refuse, never answer or send a huge head.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  ConnectionRefusedError,
  InvalidArgumentError,
  ProxyAuthError,
  ProxyProtocolError,
  ProxyRefusedError,
  SocketTimeoutError,
} from '../../../src/errors.js';
import { echoService } from '../../../src/services/echo/index.js';
import { httpProxyService } from '../../../src/services/http-proxy/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import {
  connectThroughProxy,
  type ConnectThroughProxyOptions,
} from '../../../src/socket/connect-through-proxy.js';
import { needs } from '../../helpers/needs.js';
import { freePort, run } from '../../helpers/netcat.js';
import { startProxy } from '../services/helpers/proxy-harness.js';
import { instanceOf, serve, tempDir } from '../services/helpers/service-harness.js';

const LOOPBACK = { allowDestination: ['127.0.0.0/8', '::1'] };

async function echoPort(t: TestContext): Promise<number> {
  return ((await serve(t, await instanceOf(t, echoService), 'tcp')) as { port: number }).port;
}

/** Connects through the proxy, sends `text`, and reads it back from the echo server. */
async function roundTrip(options: ConnectThroughProxyOptions, text: string): Promise<string> {
  const sock = await connectThroughProxy(options);
  try {
    await sock.sendAll(text);
    return (await sock.recvExactly(Buffer.byteLength(text))).toString();
  } finally {
    sock.destroy();
  }
}

/** A fake proxy: `onConnection` gets each client's socket; closed after the test. */
async function fakeProxy(
  t: TestContext,
  onConnection: (sock: net.Socket) => void,
): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.on('data', (chunk) => received.push(chunk));
    onConnection(sock);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, received };
}

/** Resolves once the fake proxy has received `n` bytes in total. */
function whenReceived(sock: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer): void => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (all.length >= n) {
        sock.off('data', onData);
        resolve(all);
      }
    };
    sock.on('data', onData);
  });
}

test('proxy client: socks5 through serve socks, to an IPv4 address and to a name the proxy resolves', async (t) => {
  const echo = await echoPort(t);
  const proxy = await startProxy(t, socksService, LOOPBACK);
  for (const host of ['127.0.0.1', 'localhost']) {
    const text = `hello ${host}\n`;
    assert.equal(
      await roundTrip(
        { proxy: { host: '127.0.0.1', port: proxy.port }, type: 'socks5', host, port: echo },
        text,
      ),
      text,
    );
  }
});

test('proxy client: socks4 and socks4a (a name) through serve socks', async (t) => {
  const echo = await echoPort(t);
  const proxy = await startProxy(t, socksService, LOOPBACK);
  for (const host of ['127.0.0.1', 'localhost']) {
    assert.equal(
      await roundTrip(
        {
          proxy: { host: '127.0.0.1', port: proxy.port },
          type: 'socks4',
          host,
          port: echo,
          auth: { username: 'someone' },
        },
        'four\n',
      ),
      'four\n',
    );
  }
});

test('proxy client: socks5 user/password (RFC 1929): accepted, refused, and required', async (t) => {
  const echo = await echoPort(t);
  const users = join(tempDir(t), 'users');
  writeFileSync(users, 'alice:s3cret:with:colons\n', { mode: 0o600 });
  const proxy = await startProxy(t, socksService, { ...LOOPBACK, socksUsers: users });
  const base = {
    proxy: { host: '127.0.0.1', port: proxy.port },
    type: 'socks5' as const,
    host: '127.0.0.1',
    port: echo,
  };
  assert.equal(
    await roundTrip(
      { ...base, auth: { username: 'alice', password: 's3cret:with:colons' } },
      'ok\n',
    ),
    'ok\n',
  );
  const wrong = await connectThroughProxy({
    ...base,
    auth: { username: 'alice', password: 'not-the-password' },
  }).then(
    () => assert.fail('a wrong password was accepted'),
    (err: unknown) => err,
  );
  assert.ok(wrong instanceof ProxyAuthError, String(wrong));
  assert.equal(wrong.code, 'ERR_PROXY_AUTH');
  assert.ok(!wrong.message.includes('not-the-password'), 'the password is never in a message');
  await assert.rejects(connectThroughProxy(base), (err: unknown) => {
    assert.ok(err instanceof ProxyAuthError);
    assert.match(err.message, /requires authentication/);
    assert.equal(err.reply, 0xff);
    return true;
  });
});

test('proxy client: a destination the SOCKS proxy refuses is a ProxyRefusedError with the reply code', async (t) => {
  // Default policy: loopback destinations are refused (reply 2, "not allowed by ruleset").
  const proxy = await startProxy(t, socksService);
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: proxy.port },
      type: 'socks5',
      host: '127.0.0.1',
      port: 9,
    }),
    (err: unknown) => {
      assert.ok(err instanceof ProxyRefusedError, String(err));
      assert.equal(err.code, 'ERR_PROXY_REFUSED');
      assert.equal(err.reply, 2);
      assert.equal(err.port, proxy.port);
      assert.match(err.message, /not allowed by ruleset/);
      return true;
    },
  );
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: proxy.port },
      type: 'socks4',
      host: '127.0.0.1',
      port: 9,
    }),
    (err: unknown) => err instanceof ProxyRefusedError && err.reply === 91,
  );
});

test('proxy client: http CONNECT through serve http-proxy, with Basic auth; 407 and 403 are typed', async (t) => {
  const echo = await echoPort(t);
  const users = join(tempDir(t), 'users');
  writeFileSync(users, 'bob:hunter2\n', { mode: 0o600 });
  const proxy = await startProxy(t, httpProxyService, {
    ...LOOPBACK,
    allowPort: [String(echo)],
    proxyUsers: users,
  });
  const base = {
    proxy: { host: '127.0.0.1', port: proxy.port },
    type: 'http' as const,
    host: 'localhost',
    port: echo,
  };
  assert.equal(
    await roundTrip({ ...base, auth: { username: 'bob', password: 'hunter2' } }, 'tunnel\n'),
    'tunnel\n',
  );
  await assert.rejects(
    connectThroughProxy({ ...base, auth: { username: 'bob', password: 'wrong' } }),
    (err: unknown) =>
      err instanceof ProxyAuthError && err.reply === 407 && !err.message.includes('wrong'),
  );
  await assert.rejects(
    connectThroughProxy(base),
    (err: unknown) => err instanceof ProxyAuthError && /requires authentication/.test(err.message),
  );
  await assert.rejects(
    connectThroughProxy({ ...base, port: 9, auth: { username: 'bob', password: 'hunter2' } }),
    (err: unknown) => err instanceof ProxyRefusedError && err.reply === 403,
  );
});

test(
  'proxy client: http CONNECT through ncat -l --proxy-type http --proxy-auth (a proxy we did not write)',
  { skip: needs('ncat') },
  async (t) => {
    const echo = await echoPort(t);
    const port = await freePort();
    const ncat = run(t, 'ncat', [
      '-v',
      '-l',
      '--proxy-type',
      'http',
      '--proxy-auth',
      'carol:pa55',
      '127.0.0.1',
      String(port),
    ]);
    // ncat's proxy mode binds :: first, then IPv4, one line each: wait for the IPv4 one.
    await ncat.stderr.waitFor(/Listening on (?:0\.0\.0\.0|127\.0\.0\.1):\d+/);
    const base = {
      proxy: { host: '127.0.0.1', port },
      type: 'http' as const,
      host: '127.0.0.1',
      port: echo,
    };
    // ncat's proxy closes the tunnel at our EOF: read the answer before closing.
    assert.equal(
      await roundTrip({ ...base, auth: { username: 'carol', password: 'pa55' } }, 'via ncat\n'),
      'via ncat\n',
    );
    await assert.rejects(
      connectThroughProxy({ ...base, auth: { username: 'carol', password: 'nope' } }),
      (err: unknown) => err instanceof ProxyAuthError && err.reply === 407,
    );
  },
);

test(
  'proxy client: socks5 with user/password through a python3 SOCKS5 server (not socketkit’s); the name reaches it',
  { skip: needs('python3') },
  async (t) => {
    const echo = await echoPort(t);
    const py = run(t, 'python3', [
      join(import.meta.dirname, 'fixtures', 'socks5_server.py'),
      'gina',
      'pw5',
    ]);
    const port = Number((await py.stdout.waitFor(/port (\d+)/))[1]);
    const base = {
      proxy: { host: '127.0.0.1', port },
      type: 'socks5' as const,
      host: 'localhost',
      port: echo,
    };
    assert.equal(
      await roundTrip({ ...base, auth: { username: 'gina', password: 'pw5' } }, 'via python\n'),
      'via python\n',
    );
    // Address type 3: the proxy got the name, not an address resolved here.
    await py.stdout.waitFor(new RegExp(`request 3 localhost ${echo}`));
    await assert.rejects(
      connectThroughProxy({ ...base, auth: { username: 'gina', password: 'pw6' } }),
      (err: unknown) => err instanceof ProxyAuthError && err.reply === 1,
    );
  },
);

test('proxy client: the name goes to the proxy (remote DNS), and bytes sent right after the reply are kept', async (t) => {
  let seen: Buffer = Buffer.alloc(0);
  const socks = await fakeProxy(t, (sock) => {
    void (async () => {
      await whenReceived(sock, 3); // greeting 05 01 00
      sock.write(Buffer.from([5, 0]));
      const name = 'only.the.proxy.knows.test';
      seen = await whenReceived(sock, 7 + name.length);
      // The reply, with the tunnel's first bytes in the same write.
      sock.write(
        Buffer.concat([Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]), Buffer.from('early')]),
      );
    })();
  });
  const sock = await connectThroughProxy({
    proxy: { host: '127.0.0.1', port: socks.port },
    type: 'socks5',
    host: 'only.the.proxy.knows.test',
    port: 443,
  });
  t.after(() => sock.destroy());
  assert.equal((await sock.recvExactly(5)).toString(), 'early');
  const request = seen;
  assert.deepEqual([...request.subarray(0, 5)], [5, 1, 0, 3, 'only.the.proxy.knows.test'.length]);
  assert.equal(request.subarray(5, -2).toString(), 'only.the.proxy.knows.test');
  assert.equal(request.readUInt16BE(request.length - 2), 443);

  const http = await fakeProxy(t, (s) => {
    void whenReceived(s, 1).then(() =>
      s.write('HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\nfirst bytes'),
    );
  });
  const tunnel = await connectThroughProxy({
    proxy: { host: '127.0.0.1', port: http.port },
    type: 'http',
    host: 'name.test',
    port: 25,
  });
  t.after(() => tunnel.destroy());
  assert.equal((await tunnel.recvExactly(11)).toString(), 'first bytes');
  assert.match(
    Buffer.concat(http.received).toString(),
    /^CONNECT name\.test:25 HTTP\/1\.1\r\nHost: name\.test:25\r\n\r\n$/,
  );
});

test('proxy client: hostile proxies — garbage, a close mid-handshake, a huge head, silence — are typed errors', async (t) => {
  const garbage = await fakeProxy(t, (s) => {
    void whenReceived(s, 1).then(() => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
  });
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: garbage.port },
      type: 'socks5',
      host: 'x.test',
      port: 1,
    }),
    (err: unknown) =>
      err instanceof ProxyProtocolError &&
      err.code === 'ERR_PROXY_PROTOCOL' &&
      /version 72, not 5/.test(err.message),
  );
  const escape = await fakeProxy(t, (s) => {
    void whenReceived(s, 1).then(() => s.write('\x1b[2J\x1b]0;pwned\x07 hello\r\n\r\n'));
  });
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: escape.port },
      type: 'http',
      host: 'x.test',
      port: 1,
    }),
    (err: unknown) => {
      assert.ok(err instanceof ProxyProtocolError);
      // What the proxy sent is quoted, printable only: no escape sequence reaches a terminal.
      assert.doesNotMatch(err.message, /[\x00-\x1f\x7f]/);
      return true;
    },
  );
  const hangUp = await fakeProxy(t, (s) => {
    void whenReceived(s, 1).then(() => s.end(Buffer.from([5])));
  });
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: hangUp.port },
      type: 'socks5',
      host: 'x.test',
      port: 1,
    }),
    (err: unknown) =>
      err instanceof ProxyProtocolError && /closed the connection/.test(err.message),
  );
  const huge = await fakeProxy(t, (s) => {
    void whenReceived(s, 1).then(() => {
      s.write('HTTP/1.1 200 OK\r\n');
      s.write(`X-Filler: ${'a'.repeat(64 * 1024)}\r\n`);
    });
  });
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: huge.port },
      type: 'http',
      host: 'x.test',
      port: 1,
      maxReplyHead: 4096,
    }),
    (err: unknown) => err instanceof ProxyProtocolError && /over 4096 bytes/.test(err.message),
  );
  const silent = await fakeProxy(t, () => {});
  for (const type of ['socks5', 'socks4', 'http'] as const) {
    await assert.rejects(
      connectThroughProxy({
        proxy: { host: '127.0.0.1', port: silent.port },
        type,
        host: '127.0.0.1',
        port: 1,
        timeout: 0.2,
      }),
      (err: unknown) =>
        err instanceof SocketTimeoutError &&
        err.code === 'ERR_SOCKET_TIMEOUT' &&
        err.timeout === 0.2 &&
        // The handshake's phase, or — on a machine so busy that the loopback connect's
        // event came after the deadline — the connect's: one deadline covers both.
        new RegExp(`(${type} handshake|connect to the proxy) \\(${type} proxy`).test(err.message),
    );
  }
});

test('proxy client: a closed proxy port, bad options and an abort', async (t) => {
  const closed = await freePort();
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: closed },
      type: 'socks5',
      host: 'x.test',
      port: 1,
    }),
    (err: unknown) => err instanceof ConnectionRefusedError && err.port === closed,
  );
  const base = { proxy: { host: '127.0.0.1', port: closed }, port: 1 };
  for (const bad of [
    { ...base, type: 'http', host: 'x.test\r\nX-Injected: 1' },
    { ...base, type: 'socks4', host: '::1' },
    { ...base, type: 'socks5', host: 'x.test', auth: { username: 'u' } },
    { ...base, type: 'socks4', host: 'x.test', auth: { username: 'u', password: 'p' } },
    { ...base, type: 'http', host: 'x.test', auth: { username: 'a:b', password: 'p' } },
    { ...base, type: 'socks6', host: 'x.test' },
    { ...base, type: 'http', host: 'x.test', timeout: 0 },
  ]) {
    await assert.rejects(
      connectThroughProxy(bad as ConnectThroughProxyOptions),
      InvalidArgumentError,
      JSON.stringify(bad),
    );
  }
  const silent = await fakeProxy(t, () => {});
  const controller = new AbortController();
  const pending = connectThroughProxy({
    proxy: { host: '127.0.0.1', port: silent.port },
    type: 'http',
    host: 'x.test',
    port: 1,
    signal: controller.signal,
  });
  controller.abort(new Error('stop'));
  await assert.rejects(pending, /stop/);
});
