import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { AddressInUseError, InvalidArgumentError, SocketClosedError } from '../../../src/errors.js';
import { Listener, Socket } from '../../../src/socket/index.js';
import { claimUnixSocketPath } from '../../../src/socket/unix-path.js';
import { hasIPv6, listen, portOf, tmpDir } from './_helpers.js';

test('port 0: the assigned port is readable; accept returns the socket and the client address', async (t) => {
  const listener = await listen(t);
  const port = portOf(listener);
  assert.ok(port > 0);
  assert.deepEqual(listener.getSockName(), listener.address);
  listener.listen(5); // Python-shaped: already listening, this resizes the queue
  const client = await Socket.createConnection({ host: '127.0.0.1', port });
  t.after(() => client.destroy());
  const { socket, address } = await listener.accept();
  t.after(() => socket.destroy());
  assert.deepEqual(address, client.getSockName());
  await socket.sendAll('welcome');
  assert.equal((await client.recvExactly(7)).toString(), 'welcome');
});

test('connections queue without loss while nobody accepts; iteration hands them out in order', async (t) => {
  const listener = await listen(t);
  const clients: Socket[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
    t.after(() => c.destroy());
    await c.sendAll(`client ${i}\n`);
    clients.push(c);
  }
  for (let i = 0; i < 50 && listener.pending < 5; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(listener.pending, 5);
  const seen: string[] = [];
  for await (const { socket } of listener) {
    t.after(() => socket.destroy());
    seen.push((await socket.recvUntil('\n')).toString());
    if (seen.length === 5) break;
  }
  assert.deepEqual(seen.sort(), ['client 0', 'client 1', 'client 2', 'client 3', 'client 4']);
});

test('beyond maxPending, further connections are reset and counted', async (t) => {
  const listener = await listen(t, '127.0.0.1', { maxPending: 1 });
  const a = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => a.destroy());
  for (let i = 0; i < 50 && listener.pending < 1; i++) await new Promise((r) => setTimeout(r, 10));
  // The reset may reach the second client during its connect or its first read.
  await assert.rejects(
    Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) }).then(async (b) => {
      t.after(() => b.destroy());
      await b.recv(1);
    }),
    { code: 'ERR_CONNECTION_RESET' },
  );
  assert.equal(listener.rejected, 1);
  assert.equal(listener.pending, 1);
});

test('dual stack: a listener on :: accepts IPv4 clients', async (t) => {
  if (!(await hasIPv6())) {
    t.skip('this machine has no IPv6');
    return;
  }
  const listener = await listen(t, '::');
  const client = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => client.destroy());
  const { socket, address } = await listener.accept();
  t.after(() => socket.destroy());
  assert.ok(
    address.family === 'IPv6' && address.address === '::ffff:127.0.0.1',
    JSON.stringify(address),
  );
  const v6only = await Listener.bind({ host: '::', port: 0 }, { ipv6Only: true });
  t.after(() => v6only.close());
  // The IPv4 side of that port number is not ours: normally nothing listens there (refused),
  // but a concurrent test may hold it. Either way the IPv6-only listener must not see it.
  const outcome = await Socket.createConnection({ host: '127.0.0.1', port: portOf(v6only) }).then(
    (s) => {
      s.destroy();
      return 'connected elsewhere';
    },
    (err: { code?: string }) => err.code,
  );
  assert.ok(
    ['ERR_CONNECTION_REFUSED', 'ERR_CONNECTION_RESET', 'connected elsewhere'].includes(
      outcome ?? '',
    ),
    String(outcome),
  );
  assert.equal(v6only.pending, 0);
});

test('binding a port in use fails with AddressInUseError that explains itself', async (t) => {
  const listener = await listen(t);
  await assert.rejects(
    Listener.bind({ host: '127.0.0.1', port: portOf(listener) }),
    (err: unknown) => {
      assert.ok(err instanceof AddressInUseError);
      assert.equal(err.port, portOf(listener));
      assert.match(err.message, /already in use/);
      return true;
    },
  );
});

test('Unix paths: a stale socket file is removed, a live one is left alone, other files too', async (t) => {
  const dir = tmpDir(t);
  const live = join(dir, 'live.sock');
  const server = net.createServer().listen(live);
  await once(server, 'listening');
  t.after(() => server.close());
  await assert.rejects(Listener.bind({ path: live }), AddressInUseError);
  await assert.rejects(claimUnixSocketPath(live), /a socket a process accepts connections on/);
  // A crashed server leaves its socket file behind: make one with a child killed by SIGKILL.
  const stale = join(dir, 'stale.sock');
  const script = `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  });
  await once(createInterface({ input: child.stdout }), 'line');
  const exited = once(child, 'exit');
  process.kill(child.pid!, 'SIGKILL');
  await exited;
  assert.ok(existsSync(stale));
  const listener = await Listener.bind({ path: stale });
  t.after(() => listener.close());
  const c = await Socket.createConnection({ path: stale });
  t.after(() => c.destroy());
  const notSocket = join(dir, 'plain.txt');
  writeFileSync(notSocket, 'keep me');
  await assert.rejects(Listener.bind({ path: notSocket }), AddressInUseError);
  assert.ok(existsSync(notSocket));
  await listener.close();
  assert.equal(existsSync(stale), false, 'close() removes the socket file');
});

test('close() rejects pending accepts, resets unclaimed connections and frees the port', async (t) => {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  const port = portOf(listener);
  const pending = assert.rejects(listener.accept(), SocketClosedError);
  await listener.close();
  await pending;
  await listener.close();
  assert.ok(listener.closed);
  await assert.rejects(listener.accept(), SocketClosedError);
  const again = await Listener.bind({ host: '127.0.0.1', port });
  t.after(() => again.close());
  assert.equal(portOf(again), port);
});

test('bad arguments throw InvalidArgumentError', async () => {
  await assert.rejects(Listener.bind({ host: '127.0.0.1', port: -1 }), InvalidArgumentError);
  await assert.rejects(
    Listener.bind({ host: '127.0.0.1', port: 0 }, { backlog: -5 }),
    InvalidArgumentError,
  );
  await assert.rejects(Listener.bind({ path: '' }), InvalidArgumentError);
});
