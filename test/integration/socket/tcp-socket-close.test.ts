// Socket.close() is a lingering close: FIN after our data, then input is discarded until
// the peer closes too (bounded), so the peer never loses the end of what we sent to a
// reset caused by its own unread bytes.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from '../../../src/errors.js';
import { Socket } from '../../../src/socket/index.js';
import { listen, pair, portOf } from './_helpers.js';

const REPLY = Buffer.alloc(4 * 1024 * 1024, 0x61);

test('close() while the peer still sends: the peer reads our whole reply and a clean EOF', async (t) => {
  const listener = await listen(t);
  // A raw Node client that keeps sending while it reads the reply, like a pipelining
  // HTTP client: without the lingering close its unread bytes would make
  // our kernel answer with RST.
  const client = net.connect({ host: '127.0.0.1', port: portOf(listener), allowHalfOpen: true });
  t.after(() => client.destroy());
  const { socket: server } = await listener.accept();
  let sending = true;
  const chatter = Buffer.alloc(16 * 1024, 0x62);
  const pump = (): void => {
    while (sending && client.writable && client.write(chatter)) {
      // keep writing until the kernel buffer is full
    }
  };
  client.on('drain', pump);
  pump();
  await server.recvExactly(1024); // some of it is read; the rest stays unread
  const received: Buffer[] = [];
  let resetError: unknown = null;
  client.on('data', (c: Buffer) => received.push(c));
  client.on('error', (err) => {
    resetError = err;
  });
  const ended = once(client, 'end');
  await server.sendAll(REPLY);
  const closed = server.close({ wait: true });
  await ended; // the client kept sending until it saw our FIN
  sending = false;
  assert.equal(resetError, null);
  assert.equal(Buffer.concat(received).length, REPLY.length);
  client.end();
  await closed;
  assert.ok(server.closed);
});

test('close() resolves once the FIN is out; close({ wait: true }) once the peer closed too', async (t) => {
  const [client, server] = await pair(t);
  await server.sendAll('bye');
  await server.close(); // does not wait for the client
  assert.equal((await client.recvExactly(3)).toString(), 'bye');
  assert.equal((await client.recv(10)).length, 0); // EOF
  let done = false;
  const waiting = server.close({ wait: true }).then(() => {
    done = true;
  });
  await sleep(50);
  assert.equal(done, false, 'still lingering: the client has not closed');
  await client.close();
  await waiting;
  assert.equal(done, true);
});

test('lingering is bounded by lingerTimeout when the peer never closes', async (t) => {
  const listener = await listen(t, '127.0.0.1', { socketOptions: { lingerTimeout: 0.2 } });
  const raw = net.connect({ host: '127.0.0.1', port: portOf(listener), allowHalfOpen: true });
  t.after(() => raw.destroy());
  const { socket: server } = await listener.accept();
  const ended = once(raw, 'end');
  raw.write('unread bytes');
  raw.resume();
  await server.close({ wait: true }); // resolves although the client never closes
  assert.ok(server.closed);
  await ended;
});

test('lingerTimeout 0 destroys as soon as the FIN is out', async (t) => {
  const listener = await listen(t, '127.0.0.1', { socketOptions: { lingerTimeout: 0 } });
  const client = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => client.destroy());
  const { socket: server } = await listener.accept();
  await server.sendAll('x');
  await server.close({ wait: true });
  assert.equal((await client.recv(10)).toString(), 'x');
});

test('lingerTimeout is checked', () => {
  assert.throws(() => new Socket({ lingerTimeout: -1 }), InvalidArgumentError);
  assert.throws(() => new Socket({ lingerTimeout: Number.NaN }), InvalidArgumentError);
});
