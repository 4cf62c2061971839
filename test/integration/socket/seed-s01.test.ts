// Seed S1 (seed 000) ported to socketkit, against a local HTTP server (node:http on
// 127.0.0.1): resolve the name, connect, send a GET by hand, receive the WHOLE reply
// (recv until EOF, not one recv(4096)), close. S10 is in seed-s10.test.ts; S11 in
// test/integration/examples/library-examples.test.ts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http from 'node:http';
import { test } from 'node:test';
import { ConnectionRefusedError } from '../../../src/errors.js';
import { gethostbyname } from '../../../src/resolve/index.js';
import { Socket } from '../../../src/socket/index.js';

/** The S1 client, as the README shows it. */
async function httpGet(host: string, port: number, path: string): Promise<Buffer> {
  const ip = await gethostbyname(host); // Python: socket.gethostbyname(host)
  const sock = await Socket.createConnection({ host: ip, port }, { timeout: 10 });
  try {
    await sock.sendAll(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
    const chunks: Buffer[] = [];
    for (let chunk = await sock.recv(4096); chunk.length > 0; chunk = await sock.recv(4096)) {
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } finally {
    await sock.close();
  }
}

test('S1: an HTTP GET by hand receives the whole reply, longer than one recv(4096)', async (t) => {
  const body = 'x'.repeat(100_000);
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(req.url === '/big' ? body : 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  const reply = (await httpGet('localhost', port, '/big')).toString('latin1');
  assert.match(reply, /^HTTP\/1\.[01] 200 OK\r\n/);
  const [head, content] = reply.split('\r\n\r\n');
  assert.match(head ?? '', /content-type: text\/plain/i);
  assert.equal(content, body);
});

test('S1: a refused connection is a clear error, not a traceback', async () => {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve)); // nothing listens there now
  await assert.rejects(httpGet('127.0.0.1', port, '/'), (err: unknown) => {
    assert.ok(err instanceof ConnectionRefusedError);
    assert.equal(err.errno, 'ECONNREFUSED');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    return true;
  });
});
