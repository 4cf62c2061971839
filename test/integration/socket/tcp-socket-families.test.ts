import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tls from 'node:tls';
import { ConnectError, UnsupportedOptionError } from '../../../src/errors.js';
import { Listener, Socket } from '../../../src/socket/index.js';
import { hasIPv6, listen, portOf, tmpDir } from './_helpers.js';
import { needs } from '../../helpers/needs.js';

test('IPv6 ::1', async (t) => {
  if (!(await hasIPv6())) {
    t.skip('this machine has no IPv6 loopback');
    return;
  }
  const listener = await listen(t, '::1');
  assert.deepEqual(listener.address, { family: 'IPv6', address: '::1', port: portOf(listener) });
  const [client, { socket: server, address }] = await Promise.all([
    Socket.createConnection({ host: '::1', port: portOf(listener) }, { family: 'IPv6' }),
    listener.accept(),
  ]);
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  assert.equal(address.family, 'IPv6');
  assert.deepEqual(client.getPeerName(), {
    family: 'IPv6',
    address: '::1',
    port: portOf(listener),
  });
  await client.sendAll('v6');
  assert.equal((await server.recvExactly(2)).toString(), 'v6');
});

test('Unix stream sockets: connect, exchange, peer and local names, EOF', async (t) => {
  const path = join(tmpDir(t), 'stream.sock');
  const listener = await Listener.bind({ path });
  t.after(() => listener.close());
  assert.deepEqual(listener.address, { family: 'unix', path });
  const [client, { socket: server, address }] = await Promise.all([
    Socket.createConnection({ path }),
    listener.accept(),
  ]);
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  assert.deepEqual(address, { family: 'unix', path: '' });
  assert.deepEqual(client.getPeerName(), { family: 'unix', path });
  assert.equal(client.getSockName().family, 'unix');
  assert.ok(client.fileno() >= 0);
  assert.throws(() => client.setOption('TCP_NODELAY', true), UnsupportedOptionError);
  await client.sendAll('over a unix socket\n');
  assert.equal((await server.recvUntil('\n')).toString(), 'over a unix socket');
  await server.shutdown('write');
  assert.equal((await client.recv(10)).length, 0);
});

test('connecting to a missing Unix path fails with ConnectError naming the path', async (t) => {
  const path = join(tmpDir(t), 'nobody-here.sock');
  await assert.rejects(Socket.createConnection({ path }), (err: unknown) => {
    assert.ok(err instanceof ConnectError);
    assert.equal(err.path, path);
    assert.match(err.message, /nobody-here\.sock/);
    return true;
  });
});

test('TLS through createConnection({ tls }) and fromNetSocket(tlsSocket)', async (t) => {
  const why = needs('openssl');
  if (why) return t.skip(why);
  const dir = tmpDir(t);
  {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  }
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  const server = tls.createServer({ key, cert, allowHalfOpen: true });
  const accepted = new Promise<Socket>((resolve) => {
    server.once('secureConnection', (s) => resolve(Socket.fromNetSocket(s)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const client = await Socket.createConnection(
    { host: '127.0.0.1', port },
    { tls: { ca: cert, servername: 'localhost' }, timeout: 10 },
  );
  const conn = await accepted;
  t.after(() => {
    client.destroy();
    conn.destroy();
  });
  assert.ok(client.raw instanceof tls.TLSSocket);
  await client.sendAll('secret\n');
  assert.equal((await conn.recvUntil('\n')).toString(), 'secret');
  await conn.sendAll('ack');
  await conn.close();
  assert.equal((await client.recvExactly(3)).toString(), 'ack');
  assert.equal((await client.recv(1)).length, 0);
});
