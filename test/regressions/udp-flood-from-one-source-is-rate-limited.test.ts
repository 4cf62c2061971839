// Defect 11 of issue 10: every UDP service answered every datagram, however many one
// source sent. Now each UDP listener of `socketkit serve` gives every source address a
// token bucket (on by default; --datagram-rate, --datagram-burst, --datagram-sources),
// in one bounded table: a flood from one source is cut while another source is still
// answered, many sources cost bounded memory, and the drops are logged summarised.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/cli/serve/config-file.js';
import {
  type DatagramServer,
  type ListeningMessage,
  type RefusedMessage,
  UdpServer,
} from '../../src/server/index.js';
import { collect, exchange, serveUdp, udpSocket, waitFor } from './helpers/udp-services.js';

test('a flood from one source is limited; another source is still answered; one log line per kind', async (t) => {
  const { ports, log, stop } = await serveUdp(t, ['echo'], {
    datagramRate: '5',
    datagramBurst: '10',
  });
  const echo = ports.get('echo') ?? 0;
  const flooder = await udpSocket(t, '127.0.0.2');
  let answered = 0;
  flooder.on('message', () => answered++);
  const refused = collect<RefusedMessage>(t, 'refused');
  const limited = waitFor<RefusedMessage>(
    'refused',
    (m) =>
      m.reason === 'rateLimited' && m.remote.family !== 'unix' && m.remote.address === '127.0.0.2',
  );
  const started = performance.now();
  // 300 datagrams in batches of 20, each batch handed to the kernel before the next.
  for (let batch = 0; batch < 15; batch++) {
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) =>
            flooder.send('flood\n', echo, '127.0.0.1', () => resolve()),
          ),
      ),
    );
  }
  await limited;
  const other = await udpSocket(t, '127.0.0.3');
  assert.equal((await exchange(other, echo, 'me too\n'))?.toString(), 'me too\n');
  const seconds = (performance.now() - started) / 1000;
  assert.ok(
    answered <= 10 + Math.ceil(5 * seconds) + 1,
    `the flooder got ${answered} answers in ${seconds.toFixed(1)} s (burst 10, 5/s)`,
  );
  const drops = refused.filter((m) => m.reason === 'rateLimited').length;
  assert.ok(drops >= 1);
  await stop();
  const lines = log()
    .split('\n')
    .filter((l) => l.includes('dropped'));
  assert.match(
    lines[0] ?? '',
    /WARN {2}echo\/udp dropped a datagram from 127\.0\.0\.2:\d+ \(rateLimited/,
  );
  if (drops > 1) {
    assert.match(
      lines[1] ?? '',
      new RegExp(
        `echo/udp dropped ${drops - 1} more datagrams? in the last [\\d.]+ s \\(rateLimited: ${drops - 1}\\)`,
      ),
    );
  }
  assert.ok(lines.length <= 2, `${drops} drops logged in ${lines.length} lines`);
});

test('the table of sources stays bounded under many sources (127.0.3.x)', async (t) => {
  const server = await new UdpServer({
    host: '127.0.0.1',
    port: 0,
    handler: (packet, ctx) => ctx.send(packet),
    rateLimit: { rate: 1, burst: 1, maxSources: 16 },
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const port = (server.address as { port: number }).port;
  for (let i = 1; i <= 64; i++) {
    const sock = await udpSocket(t, `127.0.3.${i}`);
    assert.ok(await exchange(sock, port, `from ${i}`), `source 127.0.3.${i} answered`);
    sock.close();
    assert.ok((server.rateLimiter?.size ?? 0) <= 16);
  }
  assert.equal(server.rateLimiter?.size, 16);
  assert.equal(server.rateLimiter?.evictions, 64 - 16);
});

test('serve limits every UDP listener by default; --datagram-rate 0 and the config key', async (t) => {
  const listening = collect<ListeningMessage>(t, 'listening');
  await serveUdp(t, ['echo', 'sntp', 'discard']);
  const limiters = listening.map((m) => (m.server as unknown as DatagramServer).rateLimiter);
  assert.equal(limiters.length, 3);
  for (const l of limiters)
    assert.deepEqual([l?.rate, l?.burst, l?.maxEntries], [100, 200, 10_000]);
  const before = listening.length;
  await serveUdp(t, ['echo'], { datagramRate: '0' });
  assert.equal((listening[before]?.server as unknown as DatagramServer).rateLimiter, null);
  const [plan] = parseConfig(
    { services: [{ service: 'echo', datagramRate: 20, datagramBurst: 5, datagramSources: 99 }] },
    '/',
  );
  assert.deepEqual(
    [plan?.limits.datagramRate, plan?.limits.datagramBurst, plan?.limits.datagramSources],
    [20, 5, 99],
  );
});

test('a bad rateLimit is refused at construction', () => {
  const handler = (): void => {};
  for (const rateLimit of [
    { rate: 0 },
    { rate: -1 },
    { rate: 5, burst: 0 },
    { rate: 5, maxSources: 0 },
  ]) {
    assert.throws(() => new UdpServer({ handler, rateLimit }), /rateLimit: /);
  }
});
