// Defect 11 of issue 10: one spoofed datagram made two UDP services (echo and chargen)
// answer each other for ever, at ~100k datagrams/s and a full core. Now the per-source
// rate limit (on by default in `socketkit serve`) drops the looping datagram once its
// source's bucket is empty, and with a service on a privileged port inetd's rule stops
// the loop before it starts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DatagramMessage, RefusedMessage } from '../../src/server/index.js';
import {
  canSpoof,
  collect,
  exchange,
  serveUdp,
  spoof,
  udpSocket,
  waitFor,
} from './helpers/udp-services.js';

const skip = canSpoof() ? false : 'needs root and python3 (a raw socket spoofs the source port)';

/** The port of the server a channel message is about. */
const portOf = (m: { server: { address: unknown } }): number =>
  (m.server.address as { port?: number }).port ?? -1;

test(
  'echo ⇄ chargen, one spoofed datagram: the loop dies at the rate limit',
  { skip },
  async (t) => {
    const { ports } = await serveUdp(t, ['echo', 'chargen']);
    const echo = ports.get('echo') ?? 0;
    const chargen = ports.get('chargen') ?? 0;
    const admitted = collect<DatagramMessage>(t, 'datagram');
    const limited = waitFor<RefusedMessage>('refused', (m) => m.reason === 'rateLimited');
    // "From chargen, to echo": echo answers chargen, chargen answers echo, …
    spoof(chargen, echo);
    const drop = await limited;
    assert.equal(drop.remote.family === 'unix' ? '' : drop.remote.address, '127.0.0.1');
    // One datagram was in flight, and it was just dropped: the loop is over. Prove it with a
    // round trip to each service from another address; nothing else may reach them after.
    const atDrop = admitted.length;
    assert.ok(atDrop <= 2 * 250, `the loop ran ${atDrop} datagrams before it was cut`);
    const probe = await udpSocket(t, '127.0.0.2');
    assert.ok(await exchange(probe, echo, 'still there?\n'), 'echo answers another source');
    assert.ok(await exchange(probe, chargen, '\n'), 'chargen answers another source');
    const after = admitted.slice(atDrop);
    assert.ok(after.length >= 2);
    for (const m of after) {
      assert.equal(m.remote.family === 'unix' ? '' : m.remote.address, '127.0.0.2');
    }
    assert.ok([echo, chargen].includes(portOf(drop)));
  },
);

test(
  'chargen on a privileged port: the spoofed datagram is ignored, nothing loops',
  { skip },
  async (t) => {
    // A free port below 1024 for chargen (the classic services live there).
    let started: Awaited<ReturnType<typeof serveUdp>> | null = null;
    let chargen = 0;
    for (let port = 1019; port > 900 && started === null; port -= 7) {
      try {
        started = await serveUdp(t, ['chargen'], { port: String(port) });
        chargen = port;
      } catch {}
    }
    assert.ok(started, 'no free privileged port in 900…1019');
    const { ports } = await serveUdp(t, ['echo']);
    const echo = ports.get('echo') ?? 0;
    const admitted = collect<DatagramMessage>(t, 'datagram');
    const ignored = waitFor<RefusedMessage>(
      'refused',
      (m) => m.reason === 'privilegedPort' && portOf(m) === echo,
    );
    spoof(chargen, echo);
    const drop = await ignored;
    assert.equal(drop.remote.family === 'unix' ? 0 : drop.remote.port, chargen);
    const probe = await udpSocket(t, '127.0.0.2');
    assert.ok(await exchange(probe, chargen, '\n'), 'chargen still answers others');
    const toChargen = admitted.filter((m) => portOf(m) === chargen);
    assert.ok(toChargen.length >= 1);
    for (const m of toChargen) {
      assert.equal(m.remote.family === 'unix' ? '' : m.remote.address, '127.0.0.2');
    }
    assert.equal(
      admitted.filter((m) => portOf(m) === echo).length,
      0,
      'echo admitted no datagram from the privileged port',
    );
  },
);
