// Listener's backlog: the default (somaxconn, at most 4096), its check, and listen(backlog)
// resizing the kernel queue of a socket already listening, as Python's listen(n) does.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError, SocketClosedError } from '../../../src/errors.js';
import { defaultBacklog } from '../../../src/socket/backlog.js';
import { Listener, Socket } from '../../../src/socket/index.js';
import { kernelBacklog } from '../../helpers/kernel-backlog.js';
import { listen, portOf, tmpDir } from './_helpers.js';

const tcpBacklog = (l: Listener): number | null => kernelBacklog({ port: portOf(l) });

test('Listener.bind uses the default backlog, and listen(n) resizes the kernel queue', async (t) => {
  const listener = await listen(t);
  const before = tcpBacklog(listener);
  if (before === null) {
    t.skip('ss is not installed: cannot read the kernel backlog');
    return;
  }
  assert.equal(before, defaultBacklog());
  listener.listen(3);
  assert.equal(tcpBacklog(listener), 3);
  listener.listen(); // no argument: only checks that it is open
  assert.equal(tcpBacklog(listener), 3);
  // Still accepting after the resize.
  const client = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => client.destroy());
  const { socket } = await listener.accept();
  t.after(() => socket.destroy());
  await client.sendAll('hi');
  assert.equal((await socket.recvExactly(2)).toString(), 'hi');
});

test('listen(n) resizes a Unix listener too', async (t) => {
  const path = join(tmpDir(t), 'l.sock');
  const listener = await Listener.bind({ path }, { backlog: 20 });
  t.after(() => listener.close());
  const seen = kernelBacklog({ path });
  if (seen === null) {
    t.skip('ss is not installed: cannot read the kernel backlog');
    return;
  }
  assert.equal(seen, 20);
  listener.listen(4);
  assert.equal(kernelBacklog({ path }), 4);
});

test('listen(n) also sizes the in-process queue, unless maxPending was given', async (t) => {
  const listener = await listen(t);
  listener.listen(1);
  // Raw clients: the ones turned away are reset, maybe before their connect completes.
  const rawClient = (port: number): void => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('error', () => {});
    t.after(() => c.destroy());
  };
  for (let i = 0; i < 3; i++) rawClient(portOf(listener));
  // A kernel queue of 1 may drop a handshake of this burst: the client retries in ~1 s.
  for (let i = 0; i < 500 && listener.pending + listener.rejected < 3; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(listener.pending, 1);
  assert.equal(listener.rejected, 2);

  const fixed = await listen(t, '127.0.0.1', { maxPending: 2 });
  fixed.listen(1);
  for (let i = 0; i < 2; i++) rawClient(portOf(fixed));
  for (let i = 0; i < 500 && fixed.pending < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fixed.pending, 2);
  assert.equal(fixed.rejected, 0);
});

test('backlog is checked: Listener.bind and listen(n) take an integer from 0 to 2^31 - 1', async (t) => {
  for (const backlog of [-1, 1.5, 2 ** 31, Number.NaN]) {
    await assert.rejects(Listener.bind({ host: '127.0.0.1', port: 0 }, { backlog }), /backlog/);
  }
  const listener = await listen(t, '127.0.0.1', { backlog: 0 });
  assert.throws(() => listener.listen(-1), InvalidArgumentError);
  assert.throws(() => listener.listen(2 ** 31), InvalidArgumentError);
  await listener.close();
  assert.throws(() => listener.listen(5), SocketClosedError);
});
