import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { TcpServer, UdpServer } from '../../../src/server/index.js';
import { createStrftimeHandlers } from '../../../src/services/strftime/index.js';
import { runCli } from '../../helpers/cli.js';

async function strftimeServers(t: TestContext) {
  const { datagram, stream } = createStrftimeHandlers({ utc: true });
  const udp = await new UdpServer({ host: '127.0.0.1', port: 0, handler: datagram }).listen();
  const tcp = await new TcpServer({ host: '127.0.0.1', port: 0, handler: stream }).listen();
  t.after(() => Promise.all([udp.destroy(), tcp.destroy()]));
  void udp.serveForever();
  void tcp.serveForever();
  return {
    udpPort: (udp.address as { port: number }).port,
    tcpPort: (tcp.address as { port: number }).port,
  };
}

test('socketkit time: UDP by default, prints the reply; no format = the server default', async (t) => {
  const { udpPort } = await strftimeServers(t);
  const r = await runCli(['time', '127.0.0.1', String(udpPort), '%Z|%Y']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^UTC\|\d{4}\n$/);
  const d = await runCli(['time', '127.0.0.1', String(udpPort), '-u']);
  assert.match(d.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/);
});

test('socketkit time --tcp: one line each way', async (t) => {
  const { tcpPort } = await strftimeServers(t);
  const r = await runCli(['time', '127.0.0.1', String(tcpPort), '%H:%M', '--tcp']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d\d:\d\d\n$/);
});

test('socketkit time: an error reply goes to stderr with exit 1', async (t) => {
  const { udpPort } = await strftimeServers(t);
  const r = await runCli(['time', '127.0.0.1', String(udpPort), 'x'.repeat(300)]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /replied: error: format is 300 bytes/);
});

test('socketkit time: no server → timeout error (exit 1); bad port → usage (exit 2)', async (t) => {
  // A bound socket that never answers.
  const silent = await new UdpServer({ host: '127.0.0.1', port: 0, handler: () => {} }).listen();
  t.after(() => silent.destroy());
  void silent.serveForever();
  const r = await runCli([
    'time',
    '127.0.0.1',
    String((silent.address as { port: number }).port),
    '-t',
    '0.3',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /timed out after 0.3 s/);
  assert.equal((await runCli(['time', '127.0.0.1', '99999'])).code, 2);
  assert.equal((await runCli(['time', '127.0.0.1', '7123', '-u', '--tcp'])).code, 2);
});

test('socketkit time / sntp / rdate: Ctrl-C while waiting ends with exit 130', async (t) => {
  const silent = await new UdpServer({ host: '127.0.0.1', port: 0, handler: () => {} }).listen();
  t.after(() => silent.destroy());
  void silent.serveForever();
  const port = String((silent.address as { port: number }).port);
  for (const argv of [
    ['time', '127.0.0.1', port],
    ['sntp', '127.0.0.1', '-p', port],
    ['rdate', '127.0.0.1', '-p', port, '--udp'],
  ]) {
    const r = await runCli(argv, { signal: AbortSignal.timeout(200) });
    assert.equal(r.code, 130, `${argv[0]}: ${r.stderr}`);
  }
});
