/**
 * Regression (session 6 probe): when the origin of a plain (non-CONNECT) request closed in
 * the middle of its response, `serve http-proxy` closed the client's connection with a
 * FIN. The proxy re-frames a chunked response as close-delimited (Node decodes it), so
 * the client saw a whole, successful answer that was only the first part of the body:
 * curl exited 0 with "helloworld" of a body that never ended. Now the client gets a
 * reset: curl fails, and a raw client reads ECONNRESET, never a clean end.
 *
 * The origin is a loopback server that sends a status line, headers and two of its
 * chunks (or 10 of its 100 Content-Length bytes), then closes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket as NetSocket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { httpProxyService } from '../../src/services/http-proxy/index.js';
import { needs } from '../helpers/needs.js';
import { runPeer } from '../helpers/peer.js';
import { startProxy } from '../integration/services/helpers/proxy-harness.js';

const CUT = {
  chunked: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n',
  length: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhelloworld',
};

/** An origin on 127.0.0.1 that answers every request head with `response`, then closes. */
async function cuttingOrigin(t: TestContext, response: string): Promise<number> {
  const server = createServer((sock: NetSocket) => {
    let head = '';
    sock.on('error', () => {});
    sock.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) sock.end(response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

/** A python3 client: sends `request`, reads to the end; prints `eof N` or `reset N`. */
const READ_ALL = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(sys.argv[2].encode())
n = 0
try:
    while True:
        d = s.recv(65536)
        if not d:
            print('eof', n); break
        n += len(d)
except ConnectionResetError:
    print('reset', n)
`;

async function rawOutcome(proxyPort: number, originPort: number): Promise<string> {
  const child = spawn(
    'python3',
    [
      '-c',
      READ_ALL,
      String(proxyPort),
      `GET http://127.0.0.1:${originPort}/ HTTP/1.1\r\nHost: x\r\n\r\n`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await once(child, 'exit');
  return out.trim().split(' ')[0] ?? '';
}

for (const [framing, response] of Object.entries(CUT)) {
  test(
    `http-proxy: an origin response cut short (${framing}) reaches the client as a reset`,
    { skip: needs('python3', 'curl') },
    async (t) => {
      const origin = await cuttingOrigin(t, response);
      const proxy = await startProxy(t, httpProxyService, { allowDestination: ['127.0.0.1'] });
      assert.equal(await rawOutcome(proxy.port, origin), 'reset');
      const curl = await runPeer('curl', [
        '-sS',
        '--max-time',
        '30',
        '-x',
        `http://127.0.0.1:${proxy.port}`,
        `http://127.0.0.1:${origin}/`,
      ]);
      assert.notEqual(curl.code, 0, `curl took a cut response for a whole one: ${curl.stdout}`);
    },
  );
}

test(
  'http-proxy: a whole chunked origin response still ends cleanly',
  { skip: needs('python3') },
  async (t) => {
    const origin = await cuttingOrigin(t, `${CUT.chunked}0\r\n\r\n`);
    const proxy = await startProxy(t, httpProxyService, { allowDestination: ['127.0.0.1'] });
    assert.equal(await rawOutcome(proxy.port, origin), 'eof');
  },
);
