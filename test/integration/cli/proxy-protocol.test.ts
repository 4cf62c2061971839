// HAProxy's PROXY protocol against the real haproxy, both ways:
// - haproxy `send-proxy` / `send-proxy-v2` in front of a TcpServer with proxyProtocol and
//   of `socketkit serve echo --proxy-protocol`: the server sees the real client;
// - `socketkit relay --proxy-protocol v1|v2` in front of haproxy `accept-proxy`: haproxy
//   believes our header (and passes the client on to a socketkit server, which sees it);
// - `serve socks --send-proxy-protocol` (the proxies' destination side), in process.
// haproxy gets its listening sockets from us already bound (`bind fd@N`): connections
// queue in the kernel until it accepts them, so there is no start-up race to poll for.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { TcpServer } from '../../../src/server/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import type { ConnectionContext } from '../../../src/server/index.js';
import { needs, toolPath } from '../../helpers/needs.js';
import { Output, startCli, tempDir } from '../../helpers/netcat.js';
import { startServe } from '../services/helpers/serve-harness.js';
import { startProxy } from '../services/helpers/proxy-harness.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';

/** The client's own address: haproxy and the relay connect from 127.0.0.1, it from here. */
const CLIENT_HOST = '127.0.0.2';

/** Answers `remote=ADDR:PORT via=ADDR`, then echoes until EOF. */
async function reportPeer(conn: Socket, ctx: ConnectionContext): Promise<void> {
  const r = ctx.remote;
  const via = ctx.via !== undefined && 'address' in ctx.via ? ctx.via.address : '-';
  await conn.sendAll(`remote=${'address' in r ? `${r.address}:${r.port}` : r.path} via=${via}\n`);
  for await (const chunk of conn) await conn.sendAll(chunk);
}

/** A TcpServer on 127.0.0.1 that believes PROXY headers from 127.0.0.1 (haproxy). */
async function backend(t: TestContext): Promise<number> {
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: reportPeer,
    proxyProtocol: { trusted: ['127.0.0.1/32'] },
  });
  await server.listen();
  void server.serveForever();
  t.after(() => server.destroy());
  return (server.address as { port: number }).port;
}

/**
 * Runs haproxy (`-db`: in the foreground) with one `listen` section per entry of
 * `frontends`, each given its `bind fd@N` address (N = 3, 4, …: a socket bound here and
 * handed over, so it accepts from the start); returns their ports. Killed by PID after
 * the test.
 */
async function haproxy(t: TestContext, frontends: ((bind: string) => string)[]): Promise<number[]> {
  const dir = tempDir(t);
  const servers: net.Server[] = [];
  for (let i = 0; i < frontends.length; i++) {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
  }
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  const fds = servers.map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd);
  const config = [
    'global',
    '  maxconn 100',
    'defaults',
    '  mode tcp',
    '  timeout connect 10s',
    '  timeout client 60s',
    '  timeout server 60s',
    ...frontends.map((f, i) => f(`fd@${3 + i}`)),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  // stdio 3, 4, …: the listening sockets, dup'ed into the child by spawn.
  const child = spawn(toolPath('haproxy')!, ['-db', '-f', file], {
    stdio: ['ignore', 'pipe', 'pipe', ...fds],
  });
  const stderr = new Output(child.stderr!);
  child.stdout!.resume();
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });
  // Close ours: haproxy's copies keep listening (what connects meanwhile queues).
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  child.on('exit', (code) => {
    if (code !== null && code !== 0)
      process.stderr.write(`haproxy exited ${code}: ${stderr.text}\n`);
  });
  return ports;
}

/** Connects from {@link CLIENT_HOST}, sends `text`, half-closes, reads to EOF. */
function exchange(port: number, text: string): Promise<{ out: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({
      port,
      host: '127.0.0.1',
      localAddress: CLIENT_HOST,
      allowHalfOpen: true,
    });
    const chunks: Buffer[] = [];
    let localPort = 0;
    sock.on('connect', () => {
      localPort = sock.localPort ?? 0;
      sock.end(text);
    });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve({ out: Buffer.concat(chunks).toString(), localPort }));
  });
}

test(
  'haproxy send-proxy and send-proxy-v2 → TcpServer proxyProtocol: the handler sees the client',
  { skip: needs('haproxy') },
  async (t) => {
    const port = await backend(t);
    const [v1, v2] = await haproxy(t, [
      (bind) => `listen v1\n  bind ${bind}\n  server s 127.0.0.1:${port} send-proxy`,
      (bind) => `listen v2\n  bind ${bind}\n  server s 127.0.0.1:${port} send-proxy-v2`,
    ]);
    for (const front of [v1!, v2!]) {
      const { out, localPort } = await exchange(front, 'through haproxy\n');
      assert.equal(out, `remote=${CLIENT_HOST}:${localPort} via=127.0.0.1\nthrough haproxy\n`);
    }
  },
);

test(
  'haproxy send-proxy-v2 with proxy-v2-options crc32c,unique-id: the TLVs reach the handler, CRC verified',
  { skip: needs('haproxy') },
  async (t) => {
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      proxyProtocol: { trusted: ['127.0.0.1/32'] },
      handler: async (conn, ctx) => {
        const tlvs = ctx.proxyHeader?.tlvs;
        await conn.sendAll(
          `crc=${tlvs?.crc32c === undefined ? 'none' : 'ok'} id=${tlvs?.uniqueId?.toString() ?? '-'}\n`,
        );
      },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const port = (server.address as { port: number }).port;
    const [front] = await haproxy(t, [
      (bind) =>
        `listen tlv\n  bind ${bind}\n  unique-id-format id-%ci\n  server s 127.0.0.1:${port} send-proxy-v2 proxy-v2-options crc32c,unique-id`,
    ]);
    const { out } = await exchange(front!, '');
    assert.equal(out, `crc=ok id=id-${CLIENT_HOST}\n`);
  },
);

test(
  'haproxy mode tcp send-proxy-v2 passing TLS through → a TLS TcpServer with proxyProtocol',
  { skip: needs('haproxy', 'openssl') },
  async (t) => {
    const pem = selfSignedPem(tempDir(t))!;
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      tls: { key: pem.key, cert: pem.cert },
      handler: reportPeer,
      proxyProtocol: { trusted: ['127.0.0.1/32'] },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const port = (server.address as { port: number }).port;
    const [front] = await haproxy(t, [
      (bind) => `listen tls\n  bind ${bind}\n  server s 127.0.0.1:${port} send-proxy-v2`,
    ]);
    const { out, localPort } = await new Promise<{ out: string; localPort: number }>(
      (resolve, reject) => {
        const raw = net.connect({ port: front!, host: '127.0.0.1', localAddress: CLIENT_HOST });
        const sock = tls.connect({ socket: raw, ca: pem.cert, servername: 'localhost' }, () =>
          sock.end('over tls\n'),
        );
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('end', () => resolve({ out: got, localPort: raw.localPort ?? 0 }));
        sock.on('error', reject);
      },
    );
    assert.equal(out, `remote=${CLIENT_HOST}:${localPort} via=127.0.0.1\nover tls\n`);
  },
);

test(
  'serve echo --proxy-protocol behind haproxy send-proxy-v2: logged and echoed as the client',
  { skip: needs('haproxy') },
  async (t) => {
    const serve = await startServe([
      'echo',
      '--tcp',
      '--port',
      '0',
      '--proxy-protocol',
      '127.0.0.1/32',
      '--proxy-protocol-timeout',
      '3',
    ]);
    t.after(() => serve.stop());
    const echo = serve.rows[0]!.port!;
    const [front] = await haproxy(t, [
      (bind) => `listen echo\n  bind ${bind}\n  server s 127.0.0.1:${echo} send-proxy-v2`,
    ]);
    const { out, localPort } = await exchange(front!, 'hello echo\n');
    assert.equal(out, 'hello echo\n');
    // A header from a peer not in the list (127.0.0.2, straight to serve) is data: echoed.
    const direct = await exchange(echo, 'PROXY UNKNOWN\r\nx\n');
    assert.equal(direct.out, 'PROXY UNKNOWN\r\nx\n');
    assert.equal(await serve.stop(), 0);
    const log = serve.stderr();
    assert.match(
      log,
      new RegExp(
        `echo/tcp #\\d+ connection from 127\\.0\\.0\\.2:${localPort} via 127\\.0\\.0\\.1:\\d+`,
      ),
    );
    assert.match(log, new RegExp(`connection from 127\\.0\\.0\\.2:${direct.localPort}\n`));
  },
);

for (const version of ['v1', 'v2'] as const) {
  test(
    `relay --proxy-protocol ${version} → haproxy accept-proxy: haproxy believes it (and passes the client on)`,
    { skip: needs('haproxy') },
    async (t) => {
      const port = await backend(t);
      // haproxy takes the client from our header, then names it to the backend in its own.
      const [front] = await haproxy(t, [
        (bind) => `listen in\n  bind ${bind} accept-proxy\n  server s 127.0.0.1:${port} send-proxy`,
      ]);
      const cli = startCli(t, [
        'relay',
        '-v',
        '--proxy-protocol',
        version,
        'tcp-listen:0',
        `tcp:127.0.0.1:${front}`,
      ]);
      const m = await cli.stderr.waitFor(/listening on \S+:(\d+)/);
      const { out, localPort } = await exchange(Number(m[1]), 'via relay\n');
      assert.equal(out, `remote=${CLIENT_HOST}:${localPort} via=127.0.0.1\nvia relay\n`);
    },
  );
}

test(
  'relay tls-listen --proxy-protocol v2 → haproxy accept-proxy: haproxy believes the TLS client',
  { skip: needs('haproxy', 'openssl') },
  async (t) => {
    const dir = tempDir(t);
    const pem = selfSignedPem(dir)!;
    writeFileSync(join(dir, 'c.pem'), pem.cert);
    writeFileSync(join(dir, 'k.pem'), pem.key);
    const port = await backend(t);
    const [front] = await haproxy(t, [
      (bind) =>
        `listen in\n  bind ${bind} accept-proxy\n  server s 127.0.0.1:${port} send-proxy-v2`,
    ]);
    const cli = startCli(t, [
      'relay',
      '-v',
      '--proxy-protocol',
      'v2',
      '--tls-cert',
      join(dir, 'c.pem'),
      '--tls-key',
      join(dir, 'k.pem'),
      'tls-listen:0',
      `tcp:127.0.0.1:${front}`,
    ]);
    const m = await cli.stderr.waitFor(/listening on \S+:(\d+)/);
    const { out, localPort } = await new Promise<{ out: string; localPort: number }>(
      (resolve, reject) => {
        const raw = net.connect({
          port: Number(m[1]),
          host: '127.0.0.1',
          localAddress: CLIENT_HOST,
        });
        let lp = 0;
        raw.on('connect', () => (lp = raw.localPort ?? 0));
        const sock = tls.connect({ socket: raw, ca: pem.cert, servername: 'localhost' }, () =>
          sock.end('tls via relay\n'),
        );
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('close', () => resolve({ out: got, localPort: lp }));
        sock.on('error', reject);
      },
    );
    assert.equal(out, `remote=${CLIENT_HOST}:${localPort} via=127.0.0.1\ntls via relay\n`);
  },
);

test('relay --proxy-protocol needs a stream listening address and a stream client address', async (t) => {
  for (const argv of [
    ['--proxy-protocol', 'v2', 'stdio', 'tcp:127.0.0.1:9'],
    ['--proxy-protocol', 'v1', 'udp-listen:0', 'udp:127.0.0.1:9'],
    ['--proxy-protocol', 'v2', 'udp-listen:0', 'tcp:127.0.0.1:9'],
    ['--proxy-protocol', 'v3', 'tcp-listen:0', 'tcp:127.0.0.1:9'],
  ]) {
    const cli = startCli(t, ['relay', ...argv]);
    assert.equal(await cli.done, 2, argv.join(' '));
    assert.match(cli.stderr.text, /--proxy-protocol/);
  }
});

test('serve socks --send-proxy-protocol v2: the destination sees the SOCKS client', async (t) => {
  const port = await backend(t);
  const proxy = await startProxy(t, socksService, {
    allowDestination: ['127.0.0.0/8'],
    sendProxyProtocol: 2,
  });
  // A SOCKS5 CONNECT by hand, from CLIENT_HOST: greeting, request, then data.
  const sock = net.connect({ port: proxy.port, host: '127.0.0.1', localAddress: CLIENT_HOST });
  await once(sock, 'connect');
  const localPort = sock.localPort;
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  sock.write(Buffer.from([5, 1, 0]));
  const request = Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 255]);
  sock.write(request);
  sock.end('through socks\n');
  await once(sock, 'close');
  const text = Buffer.concat(chunks)
    .subarray(2 + 10)
    .toString();
  assert.equal(text, `remote=${CLIENT_HOST}:${localPort} via=127.0.0.1\nthrough socks\n`);
});

test('serve http-proxy --send-proxy-protocol v1: plain forwarding and CONNECT both announce the client', async (t) => {
  // An HTTP origin behind the proxy that answers with the client it was told about.
  const origin = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    proxyProtocol: { trusted: ['127.0.0.1/32'] },
    handler: async (conn, ctx) => {
      await conn.recvUntil('\r\n\r\n');
      const r = ctx.remote;
      const body = 'address' in r ? `${r.address}:${r.port}` : r.path;
      await conn.sendAll(
        `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
    },
  });
  await origin.listen();
  void origin.serveForever();
  t.after(() => origin.destroy());
  const port = (origin.address as { port: number }).port;
  const { httpProxyService } = await import('../../../src/services/http-proxy/index.js');
  const proxy = await startProxy(t, httpProxyService, {
    allowDestination: ['127.0.0.0/8'],
    sendProxyProtocol: 1,
  });
  const plain = await exchange(
    proxy.port,
    `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
  );
  assert.match(plain.out, /^HTTP\/1\.1 200 /, proxy.logs.join('\n'));
  assert.ok(plain.out.endsWith(`\r\n\r\n${CLIENT_HOST}:${plain.localPort}`), plain.out);
  const tunnel = await exchange(
    proxy.port,
    `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\nGET / HTTP/1.1\r\n\r\n`,
  );
  assert.match(tunnel.out, /^HTTP\/1\.1 200 Connection Established\r\n/);
  assert.ok(tunnel.out.endsWith(`\r\n\r\n${CLIENT_HOST}:${tunnel.localPort}`), tunnel.out);
});
