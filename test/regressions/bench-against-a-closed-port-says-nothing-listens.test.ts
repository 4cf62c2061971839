/**
 * `socketkit bench` against a port where nothing listens says so and exits 1 at once,
 * without a result table of refused connects (TCP modes) or of datagrams "lost" to an
 * ICMP port-unreachable (udp, sntp).
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

/** A TCP port that was just free (bound, then closed). */
async function closedTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** A UDP port that was just free. */
async function closedUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(r));
  return port;
}

describe('bench against a closed port', () => {
  for (const mode of ['rr', 'stream', 'conns', 'fanout', 'udp', 'sntp']) {
    it(`${mode}: "nothing listens", exit 1, no table`, async () => {
      const port =
        mode === 'udp' || mode === 'sntp' ? await closedUdpPort() : await closedTcpPort();
      const r = await runCli([
        'bench',
        mode,
        '127.0.0.1',
        String(port),
        '-d',
        '5',
        '--no-progress',
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '', 'no result table');
      assert.match(r.stderr, new RegExp(`nothing listens on 127\\.0\\.0\\.1:${port} `));
      assert.doesNotMatch(r.stderr, /generator CPU|ECONNREFUSED/);
    });
  }
});
