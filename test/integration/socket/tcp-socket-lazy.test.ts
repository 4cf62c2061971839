// A Socket wrapping an accepted net.Socket makes its receive and send paths on first use
// (a server's handler that serves `raw` directly never pays for them). What happened to
// the net.Socket before that first use must still be seen: data and EOF, a close, an
// error; and options set before any read must apply.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from '../../helpers/wait.js';
import { SocketClosedError } from '../../../src/errors.js';
import { Socket } from '../../../src/socket/index.js';

/** Resolves on 'close' (events.once would reject on the 'error' before it). */
function closed(sock: net.Socket): Promise<void> {
  return new Promise((resolve) => sock.once('close', () => resolve()));
}

/** A raw server-side net.Socket and a raw client, both destroyed after the test. */
async function rawPair(t: { after(fn: () => unknown): void }): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(client, 'connect');
  client.on('error', () => {}); // the tests reset connections on purpose
  const [raw] = await accepted;
  t.after(() => {
    client.destroy();
    raw.destroy();
  });
  return [raw, client];
}

test('bytes and EOF that arrived before the first read are all read', async (t) => {
  const [raw, client] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  assert.equal(sock.receivedAmount, 0);
  client.end('before any read');
  await sleep(50);
  assert.equal((await sock.recvExactly(15)).toString(), 'before any read');
  assert.equal((await sock.recv(10)).length, 0, 'then EOF');
});

test("EOF seen by someone else first ('end' already emitted): the first read is EOF, not a hang", async (t) => {
  const [raw, client] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  const chunks: Buffer[] = [];
  raw.on('data', (c: Buffer) => chunks.push(c)); // consumes the stream, as echo's fast path does
  client.end('x');
  await once(raw, 'end');
  assert.equal(raw.readableEnded, true);
  assert.equal((await sock.recv(10)).length, 0);
  assert.equal(Buffer.concat(chunks).toString(), 'x');
});

test('a socket closed under us before the first read: the read ends, it does not hang', async (t) => {
  const [raw, client] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  client.resetAndDestroy();
  await closed(raw);
  // A hang fails at the safety bound (WAIT_MS), not after a window a loaded machine can miss.
  const outcome = await within(
    sock.recv(10).then(
      (b) => `eof:${b.length}`,
      (err: Error) => `error:${err.name}`,
    ),
    'the first read to end instead of hanging',
  );
  assert.match(outcome, /^(eof:0|error:ConnectionResetError)$/);
});

test('an error before the first read is reported by that read', async (t) => {
  const [raw, client] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  let rawError: Error | null = null;
  raw.on('error', (err) => {
    rawError = err;
  });
  raw.on('data', () => {}); // keep reading so the reset is noticed
  client.resetAndDestroy();
  await closed(raw);
  raw.removeAllListeners('data');
  if (rawError === null) {
    // The kernel reported the reset as a plain EOF: then that is what a read sees.
    assert.equal((await sock.recv(10)).length, 0);
    return;
  }
  await assert.rejects(sock.recv(10), { name: 'ConnectionResetError' });
});

test('options set before any read or send apply, and read back', async (t) => {
  const [raw] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  assert.equal(sock.getOption('TCP_NODELAY'), false);
  sock.setOption('TCP_NODELAY', true);
  assert.equal(sock.getOption('TCP_NODELAY'), true);
  sock.setOption('SO_LINGER', { onoff: true, linger: 0 });
  const reset = closed(raw);
  await sock.close();
  await reset;
  assert.equal(sock.closed, true);
});

test('after close() without any read, reads and sends are refused with SocketClosedError', async (t) => {
  const [raw, client] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  client.on('data', () => {});
  client.on('end', () => client.end());
  await sock.close({ wait: true });
  await assert.rejects(sock.recv(1), SocketClosedError);
  await assert.rejects(sock.sendAll('x'), SocketClosedError);
  assert.equal(sock.receivedAmount, 0);
});

test('destroy(error) rejects a read that waits with that error', async (t) => {
  const [raw] = await rawPair(t);
  const sock = Socket.fromNetSocket(raw);
  const waiting = sock.recv(10);
  const cause = new Error('gone');
  sock.destroy(cause);
  await assert.rejects(waiting, (err) => err === cause);
});
