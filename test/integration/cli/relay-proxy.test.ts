// relay's proxy addresses on the one proxy client (connectThroughProxy): socks5: through
// serve socks with user/password, http-connect: through serve http-proxy, and the proxy's
// refusal reported with its code.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { httpProxyService } from '../../../src/services/http-proxy/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import { runCli } from '../../helpers/cli.js';
import { startCli, tempDir } from '../../helpers/netcat.js';
import { startProxy } from '../services/helpers/proxy-harness.js';

const LOOPBACK = { allowDestination: ['127.0.0.0/8', '::1'] };

/** An echo server that half-closes after the client's EOF. */
async function echoServer(t: TestContext): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

/** Sends `text` to 127.0.0.1:`port`, half-closes, reads to EOF. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => {
      sock.end();
      resolve(Buffer.concat(chunks).toString());
    });
    sock.on('error', reject);
    sock.end(text);
  });
}

test('relay socks5:PROXY:HOST:PORT through serve socks with --proxy-auth; a name goes to the proxy', async (t) => {
  const echo = await echoServer(t);
  const users = join(tempDir(t), 'users');
  writeFileSync(users, 'erin:pw-relay-9\n', { mode: 0o600 });
  const proxy = await startProxy(t, socksService, { ...LOOPBACK, socksUsers: users });
  const cli = startCli(t, [
    'relay',
    '-v',
    '--proxy-auth',
    'erin:pw-relay-9',
    'tcp-listen:0',
    `socks5:127.0.0.1:${proxy.port}:localhost:${echo}`,
  ]);
  const m = await cli.stderr.waitFor(/listening on \S+:(\d+)/);
  assert.equal(await exchange(Number(m[1]), 'through socks5\n'), 'through socks5\n');
  await cli.stderr.waitFor(/relay #1 done: 15 bytes →, 15 bytes ←/);
  assert.doesNotMatch(cli.stderr.text, /pw-relay-9/);

  const refused = await runCli(
    ['relay', 'stdio', `socks5:127.0.0.1:${proxy.port}:127.0.0.1:${echo}`],
    { stdin: 'x' },
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /requires authentication .*\[ERR_PROXY_AUTH\]/);
});

test('relay http-connect: through serve http-proxy (Basic auth from SOCKETKIT_PROXY_AUTH), and a 403 is ERR_PROXY_REFUSED', async (t) => {
  const echo = await echoServer(t);
  const users = join(tempDir(t), 'users');
  writeFileSync(users, 'frank:pw-http-7\n', { mode: 0o600 });
  const proxy = await startProxy(t, httpProxyService, {
    ...LOOPBACK,
    allowPort: [String(echo)],
    proxyUsers: users,
  });
  const env = { SOCKETKIT_PROXY_AUTH: 'frank:pw-http-7' };
  const ok = await runCli(
    ['relay', 'stdio', `http-connect:127.0.0.1:${proxy.port}:localhost:${echo}`],
    {
      stdin: 'over http\n',
      env,
    },
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'over http\n');
  const refused = await runCli(
    ['relay', 'stdio', `http-connect:127.0.0.1:${proxy.port}:127.0.0.1:9`],
    { stdin: 'x', env },
  );
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /refused CONNECT 127\.0\.0\.1:9: HTTP\/1\.1 403 .*\[ERR_PROXY_REFUSED\]/,
  );
});
