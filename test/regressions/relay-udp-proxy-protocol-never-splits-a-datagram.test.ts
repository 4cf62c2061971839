/**
 * `relay --proxy-protocol v2 udp-listen: udp:` puts a PROXY v2 header before every
 * datagram. A client datagram too long to fit one datagram with the header used to be
 * split in two, each half with the header: the server took the tail for a datagram of
 * its own, from that client (a message boundary forged by length alone). It is dropped
 * now; and an empty datagram goes out as the header alone instead of vanishing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as dgram from 'node:dgram';
import { test } from 'node:test';
import { parseProxyHeader } from '../../src/framing/index.js';
import { startCli } from '../helpers/netcat.js';

test('a datagram too long for the PROXY header is dropped, never split; an empty one is sent', async (t) => {
  // The upstream: records each datagram's payload after its header.
  const upstream = dgram.createSocket('udp4');
  upstream.bind(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.after(() => upstream.close());
  const payloads: string[] = [];
  let waiter: (() => void) | null = null;
  upstream.on('message', (msg: Buffer) => {
    const r = parseProxyHeader(msg);
    assert.equal(r.status, 'done');
    if (r.status !== 'done') return;
    const payload = msg.subarray(r.length);
    payloads.push(payload.length > 16 ? `${payload.length} bytes` : payload.toString());
    waiter?.();
  });
  const cli = startCli(t, [
    'relay',
    '-v',
    '--proxy-protocol',
    'v2',
    'udp-listen:127.0.0.1:0',
    `udp:127.0.0.1:${upstream.address().port}`,
  ]);
  const m = await cli.stderr.waitFor(/listening on \S+:(\d+) \(UDP\)/);
  const relayPort = Number(m[1]);
  const client = dgram.createSocket('udp4');
  client.bind(0, '127.0.0.1');
  await once(client, 'listening');
  t.after(() => client.close());
  const send = (data: Buffer): Promise<void> =>
    new Promise((resolve, reject) =>
      client.send(data, relayPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  // In order: the relay reads them as they come, one session.
  await send(Buffer.from('first'));
  await send(Buffer.alloc(0));
  await send(Buffer.alloc(65_507 - 10, 0x61)); // fits a datagram, not with the header
  await send(Buffer.from('last'));
  while (!payloads.includes('last')) await new Promise<void>((resolve) => (waiter = resolve));
  assert.deepEqual(payloads, ['first', '', 'last']);
});
