import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { test } from 'node:test';
import {
  ConnectionRefusedError,
  ConnectionResetError,
  IncompleteReadError,
  InvalidArgumentError,
  NotConnectedError,
  SocketClosedError,
  UnsupportedOptionError,
} from '../../../src/errors.js';
import { Listener, Socket } from '../../../src/socket/index.js';
import { hasIPv6, listen, pair, portOf } from './_helpers.js';

test('echo: sendAll, send, recv, recvExactly, recvUntil', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('hello\nworld');
  assert.equal((await server.recvUntil('\n')).toString(), 'hello');
  assert.equal((await server.recvExactly(5)).toString(), 'world');
  assert.equal(await server.send(Buffer.from('abc')), 3);
  await server.sendAll(new Uint8Array([100, 101]));
  assert.equal((await client.recvExactly(5)).toString(), 'abcde');
  assert.equal((await client.recvExactly(0)).length, 0);
});

test('recv returns at most maxBytes: partial reads keep the rest queued', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('0123456789');
  assert.equal((await server.recvExactly(1)).toString(), '0');
  assert.equal((await server.recv(3)).toString(), '123');
  assert.equal(server.receivedAmount, 6);
  assert.equal((await server.recv(100)).toString(), '456789');
});

test('recvUntil keeps the delimiter on request and enforces maxBytes without losing bytes', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('a\r\nbb\r\n0123456789');
  assert.equal((await server.recvUntil('\r\n', { keepDelimiter: true })).toString(), 'a\r\n');
  assert.equal((await server.recvUntil(Buffer.from('\r\n'))).toString(), 'bb');
  await assert.rejects(server.recvUntil('\n', { maxBytes: 8 }), { code: 'ERR_FRAME_TOO_LONG' });
  assert.equal((await server.recvExactly(10)).toString(), '0123456789');
  assert.throws(() => server.recvUntil(''), InvalidArgumentError);
});

test('EOF: recv resolves to an empty buffer; recvExactly/recvUntil reject but keep the bytes', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('xyz');
  await client.close();
  await assert.rejects(server.recvExactly(5), (err: unknown) => {
    assert.ok(err instanceof IncompleteReadError);
    assert.equal(err.expected, 5);
    assert.equal(err.available, 3);
    return true;
  });
  await assert.rejects(server.recvUntil('\n'), IncompleteReadError);
  assert.equal((await server.recv(10)).toString(), 'xyz');
  assert.equal((await server.recv(10)).length, 0);
  assert.equal((await server.recv(10)).length, 0);
});

test('half-close: after shutdown(write) the peer sees EOF and can still send', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('request');
  await client.shutdown('write');
  const chunks: Buffer[] = [];
  for await (const chunk of server) chunks.push(chunk);
  assert.equal(Buffer.concat(chunks).toString(), 'request');
  await server.sendAll('response after EOF');
  await server.close();
  assert.equal((await client.recvUntil('EOF')).toString(), 'response after ');
  assert.equal((await client.recv(1)).length, 0);
  await assert.rejects(client.sendAll('more'), SocketClosedError);
});

test("shutdown('read'): recv sees EOF at once and later bytes are discarded", async (t) => {
  const [client, server] = await pair(t);
  await server.shutdown('read');
  await client.sendAll('ignored');
  assert.equal((await server.recv(10)).length, 0);
  await server.sendAll('still writable');
  assert.equal((await client.recvExactly(14)).toString(), 'still writable');
  await assert.rejects(server.shutdown('sideways' as 'read'), InvalidArgumentError);
});

test('peer reset: recv rejects with ConnectionResetError after the queued bytes', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('last words');
  // The reset must come after the words reached the server's buffer, not before.
  for (let i = 0; i < 12_000 && server.receivedAmount < 10; i++)
    await new Promise((r) => setTimeout(r, 5));
  client.reset();
  assert.equal((await server.recvExactly(10)).toString(), 'last words');
  await assert.rejects(server.recv(10), (err: unknown) => {
    assert.ok(err instanceof ConnectionResetError, String(err));
    assert.equal(err.code, 'ERR_CONNECTION_RESET');
    return true;
  });
  await assert.rejects(server.sendAll('x'), ConnectionResetError);
});

test('SO_LINGER 0 makes close() reset the connection', async (t) => {
  const [client, server] = await pair(t);
  client.setOption('SO_LINGER', { onoff: true, linger: 0 });
  assert.deepEqual(client.getOption('SO_LINGER'), { onoff: true, linger: 0 });
  await client.close();
  await assert.rejects(server.recv(1), ConnectionResetError);
});

test('connect refused names the address; connectEx resolves to the errno', async (t) => {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  const port = portOf(listener);
  await listener.close();
  await assert.rejects(Socket.createConnection({ host: '127.0.0.1', port }), (err: unknown) => {
    assert.ok(err instanceof ConnectionRefusedError);
    assert.equal(err.errno, 'ECONNREFUSED');
    assert.equal(err.port, port);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    return true;
  });
  const sock = new Socket();
  t.after(() => sock.destroy());
  assert.equal(await sock.connectEx({ host: '127.0.0.1', port }), 'ECONNREFUSED');
  // Asking again reports the same failure, never a false success.
  assert.equal(await sock.connectEx({ host: '127.0.0.1', port }), 'ECONNREFUSED');
  const live = await listen(t);
  const ok = new Socket();
  t.after(() => ok.destroy());
  assert.equal(await ok.connectEx({ host: '127.0.0.1', port: portOf(live) }), 0);
});

test('localhost tries every address it resolves to (happy eyeballs) and names them when all fail', async (t) => {
  const listener = await listen(t, '127.0.0.1');
  const sock = await Socket.createConnection({ host: 'localhost', port: portOf(listener) });
  t.after(() => sock.destroy());
  assert.equal(sock.getPeerName().family, 'IPv4');
  const port = portOf(listener);
  await listener.close();
  await assert.rejects(
    Socket.createConnection({ host: 'localhost', port }),
    ConnectionRefusedError,
  );
});

test('happy eyeballs: when every resolved address fails, one error names them all', async (t) => {
  if (!(await hasIPv6())) {
    t.skip('this machine has no IPv6 loopback');
    return;
  }
  const listener = await Listener.bind({ host: '::', port: 0 });
  const port = portOf(listener);
  await listener.close();
  // A resolver that pins the name to both loopback addresses, where nothing listens.
  const lookup = ((_host: string, _opts: unknown, cb: (...args: unknown[]) => void) => {
    cb(null, [
      { address: '::1', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ]);
  }) as unknown as net.LookupFunction;
  await assert.rejects(
    Socket.createConnection({ host: 'both.test', port }, { lookup }),
    (err: unknown) => {
      assert.ok(err instanceof ConnectionRefusedError, String(err));
      assert.equal(err.attempts.length, 2);
      assert.match(err.message, new RegExp(`\\[::1\\]:${port}`));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    },
  );
  const live = await listen(t, '127.0.0.1');
  const sock = await Socket.createConnection({ host: 'both.test', port: portOf(live) }, { lookup });
  t.after(() => sock.destroy());
  assert.equal(sock.getPeerName().family, 'IPv4');
});

test('getPeerName, getSockName, fileno, raw and bufferedAmount', async (t) => {
  const [client, server] = await pair(t);
  const peer = client.getPeerName();
  const local = server.getSockName();
  assert.deepEqual(peer, local);
  assert.deepEqual(server.getPeerName(), client.getSockName());
  assert.ok(Number.isInteger(client.fileno()) && client.fileno() > 2);
  assert.equal(client.raw.remotePort, server.raw.localPort);
  assert.equal(client.bufferedAmount, 0);
});

test('socket options: TCP_NODELAY and SO_KEEPALIVE round-trip; the rest is unsupported', async (t) => {
  const [client] = await pair(t);
  assert.equal(client.getOption('TCP_NODELAY'), false);
  client.setOption('TCP_NODELAY', true);
  assert.equal(client.getOption('TCP_NODELAY'), true);
  client.setOption('SO_KEEPALIVE', { enable: true, idle: 30 });
  assert.equal(client.getOption('SO_KEEPALIVE'), true);
  assert.equal(client.getOption('TCP_KEEPIDLE'), 30);
  assert.throws(() => client.setOption('SO_RCVBUF', 4096), UnsupportedOptionError);
  assert.throws(
    () => client.setOption('SO_LINGER', { onoff: true, linger: 5 }),
    UnsupportedOptionError,
  );
  assert.throws(() => client.getOption('IP_TOS'), UnsupportedOptionError);
  assert.throws(() => client.setOption('TCP_NODELAY', 'yes'), InvalidArgumentError);
});

test('options set before connect apply once connected', async (t) => {
  const listener = await listen(t);
  const sock = new Socket();
  t.after(() => sock.destroy());
  sock.setOption('TCP_NODELAY', true);
  await sock.connect({ host: '127.0.0.1', port: portOf(listener) });
  assert.equal(sock.getOption('TCP_NODELAY'), true);
});

test('operations before connect or after close fail clearly', async () => {
  const sock = new Socket();
  await assert.rejects(sock.recv(1), NotConnectedError);
  await assert.rejects(sock.sendAll('x'), NotConnectedError);
  assert.throws(() => sock.getPeerName(), NotConnectedError);
  assert.throws(() => sock.raw, NotConnectedError);
  await sock.close();
  await sock.close();
  assert.ok(sock.closed);
  await assert.rejects(sock.recv(1), SocketClosedError);
  await assert.rejects(sock.connect({ host: '127.0.0.1', port: 1 }), SocketClosedError);
  assert.throws(() => new Socket({ timeout: -1 }), InvalidArgumentError);
  assert.throws(() => new Socket({ family: 'IPX' as 'IPv4' }), InvalidArgumentError);
  await assert.rejects(async () => sock.connect({ host: '127.0.0.1', port: 70000 }));
});

test('close() rejects pending reads with SocketClosedError; destroy(err) uses err', async (t) => {
  const [client, server] = await pair(t);
  const pending = assert.rejects(server.recv(10), SocketClosedError);
  await server.close();
  await pending;
  const boom = new Error('boom');
  const other = assert.rejects(client.recvExactly(4), boom);
  client.destroy(boom);
  await other;
});

test('await using closes the socket', async (t) => {
  const [client, server] = await pair(t);
  {
    await using s = server;
    await s.sendAll('bye');
  }
  assert.ok(server.closed);
  assert.equal((await client.recvExactly(3)).toString(), 'bye');
  assert.equal((await client.recv(3)).length, 0);
});

test(
  'fromFd wraps an inherited descriptor (Linux)',
  {
    skip: process.platform === 'win32',
  },
  async (t) => {
    const listener = await listen(t);
    const raw = net.connect({ host: '127.0.0.1', port: portOf(listener) });
    await once(raw, 'connect');
    const { socket: server } = await listener.accept();
    t.after(() => server.destroy());
    // The child gets the connected socket as fd 3 and wraps it with Socket.fromFd.
    const script = `
    import { Socket } from ${JSON.stringify(new URL('../../../src/socket/index.ts', import.meta.url).href)};
    const s = Socket.fromFd(3);
    await s.sendAll('hello from fd ' + s.fileno() + '\\n');
    await s.sendAll((await s.recvUntil('\\n')).toString().toUpperCase() + '\\n');
    await s.close();`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'inherit', 'inherit', raw],
      },
    );
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        process.kill(child.pid, 'SIGKILL');
    });
    raw.destroy(); // the child holds its own copy of the descriptor
    assert.equal((await server.recvUntil('\n')).toString(), 'hello from fd 3');
    await server.sendAll('echo me\n');
    assert.equal((await server.recvUntil('\n')).toString(), 'ECHO ME');
    assert.equal((await server.recv(1)).length, 0);
    assert.throws(() => Socket.fromFd(-1), InvalidArgumentError);
  },
);
