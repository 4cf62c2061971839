import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import {
  AddressInUseError,
  ConnectionRefusedError,
  InvalidArgumentError,
  NotConnectedError,
  SocketClosedError,
  SocketTimeoutError,
  UnsupportedOptionError,
  WouldBlockError,
} from '../../../src/errors.js';
import { DatagramSocket, type DatagramTransport } from '../../../src/socket/index.js';
import { hasIPv6 } from './_helpers.js';

async function bound(
  t: { after(fn: () => unknown): void },
  options = {},
): Promise<[DatagramSocket, number]> {
  const s = new DatagramSocket({ timeout: 5, ...options });
  t.after(() => s.close());
  await s.bind({ host: '127.0.0.1', port: 0 });
  const a = s.getSockName();
  assert.ok(a.family !== 'unix');
  return [s, a.port];
}

test('sendTo / recvFrom with the sender address', async (t) => {
  const [server, port] = await bound(t);
  const [client, clientPort] = await bound(t);
  assert.equal(await client.sendTo('ping', { host: '127.0.0.1', port }), 4);
  const { data, address, truncated } = await server.recvFrom(1024);
  assert.equal(data.toString(), 'ping');
  assert.equal(truncated, false);
  assert.deepEqual(address, { family: 'IPv4', address: '127.0.0.1', port: clientPort });
  await server.sendTo(Buffer.from('pong'), { host: address.address, port: address.port });
  assert.equal((await client.recv(1024)).toString(), 'pong');
});

test('a datagram longer than maxBytes loses its excess and says truncated; messages stay separate', async (t) => {
  const [server, port] = await bound(t);
  const [client] = await bound(t);
  await client.sendTo('0123456789', { host: '127.0.0.1', port });
  await client.sendTo('next', { host: '127.0.0.1', port });
  const first = await server.recvFrom(4);
  assert.equal(first.data.toString(), '0123');
  assert.equal(first.truncated, true);
  const second = await server.recvFrom(4);
  assert.equal(second.data.toString(), 'next');
  assert.equal(second.truncated, false);
});

test('an empty datagram is a real message', async (t) => {
  const [server, port] = await bound(t);
  const [client] = await bound(t);
  await client.sendTo('', { host: '127.0.0.1', port });
  const { data, truncated } = await server.recvFrom(1024);
  assert.equal(data.length, 0);
  assert.equal(truncated, false);
});

test('connected UDP: send/recv, getPeerName, and ECONNREFUSED when nobody listens', async (t) => {
  const [server, port] = await bound(t);
  const client = new DatagramSocket({ timeout: 5 });
  t.after(() => client.close());
  await assert.rejects(client.send('x'), NotConnectedError);
  assert.throws(() => client.getPeerName(), NotConnectedError);
  await client.connect({ host: '127.0.0.1', port });
  assert.deepEqual(client.getPeerName(), { family: 'IPv4', address: '127.0.0.1', port });
  await client.send('hello');
  const { data, address } = await server.recvFrom(100);
  assert.equal(data.toString(), 'hello');
  await server.sendTo('back', {
    host: '127.0.0.1',
    port: address.family === 'unix' ? 0 : address.port,
  });
  assert.equal((await client.recv(100)).toString(), 'back');
  await assert.rejects(client.sendTo('x', { host: '127.0.0.1', port }), InvalidArgumentError);

  // Connected to a port nobody listens on: the ICMP error reaches the next receive.
  const closed = new DatagramSocket();
  await closed.bind({ host: '127.0.0.1', port: 0 });
  const deadPort = (closed.getSockName() as { port: number }).port;
  await closed.close();
  const lonely = new DatagramSocket({ timeout: 2 });
  t.after(() => lonely.close());
  await lonely.connect({ host: '127.0.0.1', port: deadPort });
  await lonely.send('anyone?');
  await assert.rejects(lonely.recv(10), ConnectionRefusedError);
});

test('recvFrom timeout, non-blocking, and data after a timeout is not lost', async (t) => {
  const [server, port] = await bound(t, { timeout: 0.05 });
  const [client] = await bound(t);
  await assert.rejects(server.recvFrom(10), (err: unknown) => {
    assert.ok(err instanceof SocketTimeoutError);
    assert.equal(err.port, port);
    return true;
  });
  server.setBlocking(false);
  assert.equal(server.getOperationTimeout(), 0);
  await assert.rejects(server.recvFrom(10), WouldBlockError);
  await client.sendTo('late', { host: '127.0.0.1', port });
  server.setOperationTimeout(5);
  assert.equal((await server.recvFrom(10)).data.toString(), 'late');
});

test('the receive queue is bounded: the oldest datagrams are dropped and counted', async (t) => {
  const [server, port] = await bound(t, { maxDatagrams: 3 });
  const [client] = await bound(t);
  const drops: unknown[] = [];
  const onDrop = (m: unknown): void => {
    drops.push(m);
  };
  subscribe('socketkit:datagram:drop', onDrop);
  t.after(() => unsubscribe('socketkit:datagram:drop', onDrop));
  for (let i = 0; i < 6; i++) await client.sendTo(`m${i}`, { host: '127.0.0.1', port });
  for (let i = 0; i < 100 && server.dropped < 3; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.dropped, 3);
  assert.equal(drops.length, 3);
  const got: string[] = [];
  for (let i = 0; i < 3; i++) got.push((await server.recvFrom(10)).data.toString());
  assert.deepEqual(got, ['m3', 'm4', 'm5']);
});

test('options: broadcast, buffer sizes, TTL; unsupported ones say so', async (t) => {
  const s = new DatagramSocket();
  t.after(() => s.close());
  s.setBroadcast(true); // before bind: applied once bound
  s.setOption('SO_RCVBUF', 65536);
  await s.bind({ host: '127.0.0.1', port: 0 });
  assert.equal(s.getOption('SO_BROADCAST'), true);
  assert.ok((s.getOption('SO_RCVBUF') as number) >= 65536);
  s.setOption('IP_TTL', 5);
  assert.equal(s.getOption('IP_TTL'), 5);
  assert.throws(() => s.setOption('TCP_NODELAY', true), UnsupportedOptionError);
  assert.throws(() => s.setOption('IP_TTL', true), InvalidArgumentError);
});

test('IPv6 ::1 datagrams', async (t) => {
  if (!(await hasIPv6())) {
    t.skip('this machine has no IPv6');
    return;
  }
  const server = new DatagramSocket({ family: 'IPv6', timeout: 5 });
  t.after(() => server.close());
  await server.bind({ host: '::1', port: 0 });
  const { port } = server.getSockName() as { port: number };
  const client = new DatagramSocket({ family: 'IPv6' });
  t.after(() => client.close());
  await client.sendTo('six', { host: '::1', port });
  const got = await server.recvFrom(10);
  assert.equal(got.data.toString(), 'six');
  assert.equal(got.address.family, 'IPv6');
});

test('binding a port in use fails; close rejects pending receives; iteration ends at close', async (t) => {
  const [server, port] = await bound(t);
  const other = new DatagramSocket();
  await assert.rejects(other.bind({ host: '127.0.0.1', port }), AddressInUseError);
  await other.close();
  const transport: DatagramTransport = server;
  assert.equal(transport.transport, 'udp');
  const [client] = await bound(t);
  await client.sendTo('one', { host: '127.0.0.1', port });
  const seen: string[] = [];
  const iterating = (async () => {
    for await (const d of transport) {
      seen.push(d.data.toString());
      if (seen.length === 1) setImmediate(() => void server.close());
    }
  })();
  await iterating;
  assert.deepEqual(seen, ['one']);
  assert.ok(server.closed);
  await assert.rejects(server.recvFrom(1), SocketClosedError);
  await assert.rejects(server.sendTo('x', { path: '/tmp/x' }), SocketClosedError);
  assert.throws(() => new DatagramSocket({ family: 'unix' as 'IPv4' }), InvalidArgumentError);
});
