// Defect 11 of issue 10, inetd's rule: echo, chargen, daytime, qotd, time and strftime
// answer any datagram, so a datagram "from" another such service (they live below port
// 1024) would start a loop. They now drop datagrams from source ports below 1024,
// unanswered; SNTP (NTP servers talk from port 123) and discard (never answers) do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatagramMessage, RefusedMessage } from '../../src/server/index.js';
import { allServices } from '../../src/services/registry.js';
import {
  collect,
  exchange,
  privilegedPortsAvailable,
  serveUdp,
  udpSocket,
  waitFor,
} from './helpers/udp-services.js';

const REFLECTORS = ['echo', 'chargen', 'daytime', 'qotd', 'time', 'strftime'];

test('the services that answer anything, and only they, ignore privileged source ports', () => {
  const flagged = allServices.filter((s) => s.ignorePrivilegedPorts === true).map((s) => s.name);
  assert.deepEqual(flagged.sort(), [...REFLECTORS].sort());
});

test(
  'a datagram from port < 1024 gets no answer from any of the six; others still do',
  { skip: privilegedPortsAvailable() ? false : 'binding a port below 1024 needs root' },
  async (t) => {
    const { ports } = await serveUdp(t, REFLECTORS);
    let privileged: Awaited<ReturnType<typeof udpSocket>> | null = null;
    for (let port = 1023; port > 900 && privileged === null; port -= 3) {
      try {
        privileged = await udpSocket(t, '127.0.0.1', port);
      } catch {}
    }
    assert.ok(privileged, 'no free privileged port in 900…1023');
    const from = privileged.address().port;
    const replies: Buffer[] = [];
    privileged.on('message', (m) => replies.push(m));
    const admitted = collect<DatagramMessage>(t, 'datagram');
    const servicePorts = REFLECTORS.map((name) => ports.get(name) ?? 0);
    const ignored = servicePorts.map((port) =>
      waitFor<RefusedMessage>(
        'refused',
        (m) =>
          m.reason === 'privilegedPort' &&
          (m.server.address as { port?: number }).port === port &&
          m.remote.family !== 'unix' &&
          m.remote.port === from,
      ),
    );
    for (const port of servicePorts) privileged.send('hello\n', port, '127.0.0.1');
    await Promise.all(ignored);
    // Dropped before any handler ran: no datagram from that port was admitted.
    assert.equal(
      admitted.filter((m) => m.remote.family !== 'unix' && m.remote.port === from).length,
      0,
    );
    const normal = await udpSocket(t);
    for (const [i, port] of servicePorts.entries()) {
      assert.ok(
        await exchange(normal, port, 'hello\n'),
        `${REFLECTORS[i]} answers port ${normal.address().port}`,
      );
    }
    assert.equal(replies.length, 0);
  },
);
