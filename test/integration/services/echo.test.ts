import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { TcpServer } from '../../../src/server/index.js';
import { echoService, echoStream } from '../../../src/services/echo/index.js';
import {
  datagramExchange,
  dial,
  instanceOf,
  readUntil,
  serve,
  tcpExchange,
} from './helpers/service-harness.js';

for (const kind of ['tcp', 'unix'] as const) {
  test(`echo/${kind}: every byte comes back, in order, then the server closes after the client does`, async (t) => {
    const where = await serve(t, await instanceOf(t, echoService), kind);
    const payload = randomBytes(1 << 20);
    const got = await tcpExchange(where, payload);
    assert.equal(got.length, payload.length);
    assert.ok(got.equals(payload));
  });

  test(`echo/${kind}: an interactive session, many writes`, async (t) => {
    const where = await serve(t, await instanceOf(t, echoService), kind);
    const sock = await dial(where);
    t.after(() => sock.destroy());
    for (let i = 0; i < 20; i++) {
      const line = `line ${i}\r\n`;
      const reading = readUntil(sock, (b) => b.length >= line.length);
      sock.write(line);
      assert.equal((await reading).toString(), line);
    }
  });
}

for (const kind of ['udp', 'unix-dgram'] as const) {
  test(`echo/${kind}: each datagram is answered with itself, empty ones too`, async (t) => {
    const where = await serve(t, await instanceOf(t, echoService), kind);
    for (const payload of [Buffer.from('hello\n'), Buffer.alloc(0), randomBytes(1400)]) {
      const reply = await datagramExchange(where, payload);
      assert.ok(reply, 'no reply');
      assert.ok(reply.equals(payload), `reply of ${reply.length} bytes for ${payload.length}`);
    }
  });
}

test('echo/tcp: a graceful shutdown mid-request echoes everything the client sent, closing once it half-closes', async (t) => {
  const server = await new TcpServer({ host: '127.0.0.1', port: 0, handler: echoStream }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const port = (server.address as { port: number }).port;
  const busy = await dial({ port });
  const idle = await dial({ port });
  t.after(() => {
    busy.destroy();
    idle.destroy();
  });
  const payload = randomBytes(4 << 20);
  const reading = readUntil(busy, (b) => b.length >= payload.length, 20_000);
  const idleEnd = readUntil(idle, () => false, 20_000);
  // The shutdown starts while the request is on its way: 1 MiB sent, 3 MiB still to send.
  busy.write(payload.subarray(0, 1 << 20));
  const stopping = server.shutdown({ drainTimeout: 15 });
  busy.write(payload.subarray(1 << 20));
  const got = await reading;
  assert.equal(got.length, payload.length);
  assert.ok(got.equals(payload));
  // The idle client is served too, until it half-closes: echo has no request boundary,
  // so a client at rest may still send (one that never closes is reset at the drain
  // timeout: test/regressions/graceful-shutdown-never-truncates-echo-replies).
  idle.end();
  assert.equal((await idleEnd).length, 0);
  busy.end();
  await stopping;
});
