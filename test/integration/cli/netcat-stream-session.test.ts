/**
 * The netcat stream session on the library's `Socket`: a stalled stdout stops reading
 * (the socket's receive buffer stays bounded and the peer's writes back up), nothing is
 * lost or reordered once it drains, and the peer's EOF ends the session.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { runStreamSession } from '../../../src/cli/netcat/stream-session.js';
import { Listener, Socket } from '../../../src/socket/index.js';

const CHUNK = 64 * 1024;
const TOTAL = 32 * 1024 * 1024;

test('a stalled stdout pauses the socket; everything arrives in order once it drains', async (t) => {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  t.after(() => listener.close());
  const port = (listener.address as { port: number }).port;
  const client = await Socket.createConnection({ host: '127.0.0.1', port });
  t.after(() => client.destroy());
  const { socket: server } = await listener.accept();
  t.after(() => server.destroy());

  // stdout: holds every write until released, then takes the rest at once.
  const held: Array<() => void> = [];
  let stalled = true;
  const received: Buffer[] = [];
  const output = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      if (stalled) held.push(callback);
      else callback();
    },
  });
  const controller = new AbortController();
  const session = runStreamSession(client, {
    hub: null,
    output,
    exitOnPeerEof: true,
    signal: controller.signal,
  });

  // The peer sends numbered chunks as fast as its socket takes them.
  const raw = server.raw;
  let sent = 0;
  const pump = (): void => {
    while (sent < TOTAL) {
      const chunk = Buffer.alloc(CHUNK, (sent / CHUNK) % 251);
      sent += CHUNK;
      if (!raw.write(chunk)) {
        raw.once('drain', pump);
        return;
      }
    }
    raw.end();
  };
  pump();

  // stdout took one chunk and stalls: the socket's receive buffer fills to its high-water
  // mark (1 MiB) and stops reading; the kernel's buffers fill and the peer is held back.
  const mark = 1024 * 1024; // the default highWaterMark of a Socket's receive buffer
  for (let i = 0; i < 200_000 && client.receivedAmount < mark; i++) await nextTurn();
  assert.ok(client.receivedAmount >= mark, 'the receive buffer filled');
  for (let i = 0; i < 1000; i++) await nextTurn();
  assert.ok(
    client.receivedAmount <= mark + CHUNK,
    `receive buffer bounded, holds ${client.receivedAmount}`,
  );
  assert.ok(raw.writableNeedDrain, 'the peer is held back');
  assert.ok(sent < TOTAL, 'the peer could not send everything');
  assert.equal(received.length, 1, 'stdout got one chunk, then reading stopped');

  stalled = false;
  for (const callback of held.splice(0)) callback();
  const result = await session;
  assert.equal(result.end, 'done');
  assert.equal(result.received, TOTAL);
  const all = Buffer.concat(received);
  assert.equal(all.length, TOTAL);
  for (let offset = 0; offset < TOTAL; offset += CHUNK) {
    assert.equal(all[offset], (offset / CHUNK) % 251, `chunk at ${offset} in order`);
  }
});
