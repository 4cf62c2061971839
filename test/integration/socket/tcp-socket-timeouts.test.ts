import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SocketTimeoutError, WouldBlockError } from '../../../src/errors.js';
import { Socket } from '../../../src/socket/index.js';
import { listen, neverAcceptingPort, pair, portOf } from './_helpers.js';

test('recv timeout rejects with SocketTimeoutError, and data arriving later is not lost', async (t) => {
  const [client, server] = await pair(t);
  server.setOperationTimeout(0.05);
  assert.equal(server.getOperationTimeout(), 0.05);
  await assert.rejects(server.recv(10), (err: unknown) => {
    assert.ok(err instanceof SocketTimeoutError);
    assert.equal(err.code, 'ERR_SOCKET_TIMEOUT');
    assert.equal(err.timeout, 0.05);
    assert.match(err.message, /recv timed out after 0\.05 s \(127\.0\.0\.1:\d+\)/);
    return true;
  });
  await assert.rejects(server.recvExactly(4), SocketTimeoutError);
  await assert.rejects(server.recvUntil('\n'), SocketTimeoutError);
  await client.sendAll('late\nbytes');
  server.setOperationTimeout(null);
  assert.equal((await server.recvUntil('\n')).toString(), 'late');
  assert.equal((await server.recvExactly(5)).toString(), 'bytes');
});

test('a recvExactly that times out half-way keeps the bytes it saw', async (t) => {
  const [client, server] = await pair(t);
  server.setOperationTimeout(0.1);
  await client.sendAll('abc');
  await assert.rejects(server.recvExactly(6), SocketTimeoutError);
  await client.sendAll('def');
  assert.equal((await server.recvExactly(6)).toString(), 'abcdef');
});

test('reads queued behind a timed-out read complete in order', async (t) => {
  const [client, server] = await pair(t);
  server.setOperationTimeout(0.1);
  const first = server.recvExactly(10); // times out: only 4 bytes will come in time
  server.setOperationTimeout(null);
  const second = server.recv(2);
  await client.sendAll('wxyz');
  await assert.rejects(first, SocketTimeoutError);
  assert.equal((await second).toString(), 'wx');
  assert.equal((await server.recv(10)).toString(), 'yz');
});

test('non-blocking recv rejects at once with WouldBlockError; queued data is returned', async (t) => {
  const [client, server] = await pair(t);
  server.setBlocking(false);
  assert.equal(server.getOperationTimeout(), 0);
  assert.equal(server.getBlocking(), false);
  await assert.rejects(server.recv(10), (err: unknown) => {
    assert.ok(err instanceof WouldBlockError);
    assert.equal(err.errno, 'EAGAIN');
    return true;
  });
  await client.sendAll('ready');
  // Non-blocking mode is polled by design; the bound (60 s) is only a safety net.
  for (let i = 0; i < 12_000 && server.receivedAmount < 5; i++)
    await new Promise((r) => setTimeout(r, 5));
  assert.equal((await server.recv(10)).toString(), 'ready');
  await assert.rejects(server.recvExactly(1), WouldBlockError);
  server.setBlocking(true);
  assert.equal(server.getOperationTimeout(), null);
});

test('non-blocking send rejects with WouldBlockError when the send buffer is full', async (t) => {
  const [client, server] = await pair(t);
  server.raw.pause(); // the peer stops reading: the kernel buffers fill up
  client.setBlocking(false);
  const chunk = Buffer.alloc(256 * 1024);
  let blocked: unknown;
  for (let i = 0; i < 400 && blocked === undefined; i++) {
    await client.send(chunk).catch((err: unknown) => {
      blocked = err;
    });
  }
  assert.ok(blocked instanceof WouldBlockError, String(blocked));
  assert.ok(client.bufferedAmount > 0);
});

test('sendAll times out when the peer does not read', async (t) => {
  const [client, server] = await pair(t);
  server.raw.pause();
  client.setOperationTimeout(0.2);
  const big = Buffer.alloc(1024 * 1024);
  let failure: unknown;
  for (let i = 0; i < 64 && failure === undefined; i++) {
    await client.sendAll(big).catch((err: unknown) => {
      failure = err;
    });
  }
  assert.ok(failure instanceof SocketTimeoutError, String(failure));
  assert.equal(failure.syscall, 'sendAll');
});

test('connect timeout: a listener whose backlog is full never answers', async (t) => {
  const { port, fill } = await neverAcceptingPort(t);
  await fill();
  await assert.rejects(
    Socket.createConnection({ host: '127.0.0.1', port }, { timeout: 0.3 }),
    (err: unknown) => {
      assert.ok(err instanceof SocketTimeoutError, String(err));
      assert.equal(err.address, '127.0.0.1');
      assert.equal(err.port, port);
      assert.equal(err.syscall, 'connect');
      return true;
    },
  );
  const sock = new Socket({ timeout: 0.2 });
  t.after(() => sock.destroy());
  assert.equal(await sock.connectEx({ host: '127.0.0.1', port }), 'ETIMEDOUT');
});

test('non-blocking connect rejects with EINPROGRESS and completes in the background', async (t) => {
  const listener = await listen(t);
  const sock = new Socket();
  t.after(() => sock.destroy());
  sock.setBlocking(false);
  const address = { host: '127.0.0.1', port: portOf(listener) };
  await assert.rejects(sock.connect(address), (err: unknown) => {
    assert.ok(err instanceof WouldBlockError);
    assert.equal(err.errno, 'EINPROGRESS');
    return true;
  });
  assert.ok(sock.connecting);
  const second = await sock.connectEx(address);
  assert.ok(second === 'EALREADY' || second === 0, String(second));
  sock.setBlocking(true);
  await sock.connect(address); // waits for the attempt in progress
  assert.equal(sock.connecting, false);
  assert.equal(sock.getPeerName().family, 'IPv4');
  const { socket } = await listener.accept();
  t.after(() => socket.destroy());
  await sock.sendAll('ok');
  assert.equal((await socket.recvExactly(2)).toString(), 'ok');
});

test('accept, iteration and frames honour timeouts too', async (t) => {
  const listener = await listen(t, '127.0.0.1', { timeout: 0.05 });
  await assert.rejects(listener.accept(), SocketTimeoutError);
  listener.setBlocking(false);
  await assert.rejects(listener.accept(), WouldBlockError);
  const [, server] = await pair(t);
  server.setOperationTimeout(0.05);
  await assert.rejects(
    (async () => {
      for await (const _ of server) assert.fail('no data was sent');
    })(),
    SocketTimeoutError,
  );
});

test('non-blocking connect to a closed port: connectEx polls EALREADY, then ECONNREFUSED', async (t) => {
  const listener = await listen(t);
  const port = portOf(listener);
  await listener.close();
  const sock = new Socket();
  t.after(() => sock.destroy());
  sock.setBlocking(false);
  const address = { host: '127.0.0.1', port };
  assert.equal(await sock.connectEx(address), 'EINPROGRESS');
  let result: number | string = 'EALREADY';
  // connectEx is polled by design; the bound (60 s) is only a safety net.
  for (let i = 0; i < 12_000 && result === 'EALREADY'; i++) {
    await new Promise((r) => setTimeout(r, 5));
    result = await sock.connectEx(address);
  }
  assert.equal(result, 'ECONNREFUSED');
});
