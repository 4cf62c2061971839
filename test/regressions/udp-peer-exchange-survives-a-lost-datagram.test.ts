/**
 * Defect 18: the interop matrix started ~56 peers at once and gave each UDP peer a fixed
 * 3 s window (`nc -u -w3`); on a loaded machine a datagram or its reply was lost or late and
 * the run failed (`echo/udp nc … → ""`). A UDP peer exchange now ends on the reply and is
 * retried when nothing came back.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { needs } from '../helpers/needs.js';
import { mapLimit, udpPeer } from '../helpers/peer.js';

test('udpPeer runs nc again when the first datagram is lost', { skip: needs('nc') }, async (t) => {
  // A UDP echo server that "loses" the first datagram it gets.
  const server = dgram.createSocket('udp4');
  let seen = 0;
  server.on('message', (msg, rinfo) => {
    if (++seen > 1) server.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address();
  // -w1 is only nc's bound for a lost datagram: the retry, not the window, makes it pass.
  const r = await udpPeer('nc', ['-u', '-w1', '127.0.0.1', String(port)], { input: 'ping\n' });
  assert.equal(r.stdout.toString(), 'ping\n');
  assert.equal(r.tries, 2);
  assert.equal(r.stopped, true, 'stopped on the reply, not by its timeout');
});

test('mapLimit never runs more than its limit at once, and keeps the order', async () => {
  let running = 0;
  let peak = 0;
  const out = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setImmediate(resolve));
    running--;
    return n * 2;
  });
  assert.deepEqual(out, [2, 4, 6, 8, 10, 12, 14]);
  assert.equal(peak, 3);
});
