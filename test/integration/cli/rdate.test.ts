import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { TcpServer, UdpServer } from '../../../src/server/index.js';
import { encodeRfc868 } from '../../../src/services/time/rfc868.js';
import { runCli } from '../../helpers/cli.js';

/** An RFC 868 server whose clock is `skewMs` off ours. */
async function timeServers(t: TestContext, skewMs = 0) {
  const now = () => new Date(Date.now() + skewMs);
  const tcp = await new TcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: (conn) => conn.sendAll(encodeRfc868(now())),
  }).listen();
  const udp = await new UdpServer({
    host: '127.0.0.1',
    port: 0,
    handler: (_p, ctx) => ctx.reply(encodeRfc868(now())),
  }).listen();
  t.after(() => Promise.all([tcp.destroy(), udp.destroy()]));
  void tcp.serveForever();
  void udp.serveForever();
  return {
    tcp: (tcp.address as { port: number }).port,
    udp: (udp.address as { port: number }).port,
  };
}

const LINE =
  /^rdate: \[127\.0\.0\.1\]\t[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\toffset ([+-]\d+\.\d) s\n$/;

test('socketkit rdate: TCP by default; prints the time and an offset near 0', async (t) => {
  const ports = await timeServers(t);
  const r = await runCli(['rdate', '127.0.0.1', '--port', String(ports.tcp)]);
  assert.equal(r.code, 0, r.stderr);
  const m = LINE.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Math.abs(Number(m[1])) <= 1.5);
});

test('socketkit rdate --udp: a server 1 hour ahead shows an offset of about +3600 s', async (t) => {
  const ports = await timeServers(t, 3_600_000);
  const r = await runCli(['rdate', '127.0.0.1', '--port', String(ports.udp), '--udp', '--utc']);
  assert.equal(r.code, 0, r.stderr);
  const m = LINE.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Math.abs(Number(m[1]) - 3600) <= 1.5, r.stdout);
});

test('socketkit rdate: a server that closes without 4 bytes is an error (exit 1)', async (t) => {
  const tcp = await new TcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: (conn) => conn.sendAll(Buffer.from([1, 2])),
  }).listen();
  t.after(() => tcp.destroy());
  void tcp.serveForever();
  const r = await runCli([
    'rdate',
    '127.0.0.1',
    '-p',
    String((tcp.address as { port: number }).port),
    '-t',
    '2',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /socketkit: /);
});
