// A trusted proxy may name an AF_UNIX client in its PROXY v2 header (a relay listening on
// a Unix socket). Such a client has no address an access list or a per-address cap can
// judge; it used to become `ctx.remote` all the same, and `permits()` lets every Unix
// peer in, so anything relayed from a Unix socket got past `allow` on a TCP server. Now
// the server judges (and reports) the proxy's own address; the header stays on
// `ctx.proxyHeader`.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';
import { encodeProxyHeader } from '../../src/framing/proxy-header.js';
import type { ConnectionContext, TcpServerOptions } from '../../src/server/index.js';
import { TcpServer } from '../../src/server/index.js';
import type { Socket } from '../../src/socket/tcp-socket.js';

const UNIX_CLIENT = encodeProxyHeader(2, {
  source: { family: 'unix', path: '' },
  destination: { family: 'unix', path: '/run/front.sock' },
});

async function start(t: TestContext, options: Partial<TcpServerOptions>): Promise<number> {
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: async (conn: Socket, ctx: ConnectionContext) => {
      const r = ctx.remote;
      await conn.sendAll(`remote=${'address' in r ? r.address : `unix:${r.path}`}\n`);
    },
    proxyProtocol: { trusted: ['127.0.0.1/32'] },
    ...options,
  });
  await server.listen();
  void server.serveForever();
  t.after(() => server.destroy());
  return (server.address as { port: number }).port;
}

/** Sends the header, then reads until the server closes (or resets). */
function exchange(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => {});
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.on('connect', () => sock.end(UNIX_CLIENT));
  });
}

test('an AF_UNIX client behind a trusted proxy is not let past an allow list that excludes the proxy', async (t) => {
  const port = await start(t, { allow: ['10.0.0.0/8'] });
  assert.equal(await exchange(port), '', 'refused: the proxy 127.0.0.1 is not allowed');
});

test('an AF_UNIX client behind a trusted proxy is reported as the proxy', async (t) => {
  const port = await start(t, {});
  assert.equal(await exchange(port), 'remote=127.0.0.1\n');
});
