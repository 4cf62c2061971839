/**
 * `Listener.bind` with `tls` (the TLS server of tls-server.ts: handshake deadline,
 * failures published on `socketkit:listener:handshake`) and `admit` (checked before
 * anything is read; for TLS, before the handshake).
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as net from 'node:net';
import { test } from 'node:test';
import * as tls from 'node:tls';
import { InvalidArgumentError } from '../../../src/errors.js';
import type { PeerAddress } from '../../../src/socket/address.js';
import { Listener, Socket } from '../../../src/socket/index.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';
import { portOf, tmpDir } from './_helpers.js';

/** Resolves with the next `socketkit:listener:handshake` message about `listener`. */
function nextHandshakeFailure(
  listener: () => Listener | null,
): Promise<{ address: PeerAddress; error: Error }> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      const m = message as { listener: Listener; address: PeerAddress; error: Error };
      if (m.listener !== listener()) return;
      unsubscribe('socketkit:listener:handshake', onMessage);
      resolve(m);
    };
    subscribe('socketkit:listener:handshake', onMessage);
  });
}

/** Resolves once the server side closed `sock` (its 'close' after our own end). */
function closedByPeer(sock: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    sock.on('error', () => {});
    sock.resume();
    sock.once('close', () => resolve());
  });
}

test('tls: accept() hands out handshaken sockets; both directions work', async (t) => {
  const pem = selfSignedPem(tmpDir(t));
  if (pem === null) return t.skip('openssl is missing');
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 }, { tls: pem });
  t.after(() => listener.close());
  const client = await Socket.createConnection(
    { host: '127.0.0.1', port: portOf(listener) },
    { tls: { ca: pem.cert } },
  );
  t.after(() => client.destroy());
  const { socket } = await listener.accept();
  t.after(() => socket.destroy());
  assert.ok(socket.raw instanceof tls.TLSSocket);
  await client.sendAll('ping\n');
  assert.equal((await socket.recvUntil('\n')).toString(), 'ping');
  // Half-close is kept for handshaken sockets: our EOF does not end the server's side.
  await client.shutdown('write');
  assert.equal((await socket.recv(10)).length, 0);
  await socket.sendAll('pong after your EOF');
  await socket.close();
  assert.equal((await client.recvExactly(19)).toString(), 'pong after your EOF');
});

test('tls: a client silent past handshakeTimeout is closed and published', async (t) => {
  const pem = selfSignedPem(tmpDir(t));
  if (pem === null) return t.skip('openssl is missing');
  let listener: Listener | null = null;
  const failure = nextHandshakeFailure(() => listener);
  listener = await Listener.bind(
    { host: '127.0.0.1', port: 0 },
    { tls: { ...pem, handshakeTimeout: 0.2 } },
  );
  t.after(() => listener?.close());
  const silent = net.connect({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => silent.destroy());
  const closed = closedByPeer(silent);
  const { address, error } = await failure;
  assert.equal(address.family === 'unix' ? '' : address.address, '127.0.0.1');
  assert.equal((error as { code?: string }).code, 'ERR_SOCKET_TIMEOUT');
  await closed;
  assert.equal(listener.pending, 0);
});

test('tls: a failed handshake (plain text) is published with its reason', async (t) => {
  const pem = selfSignedPem(tmpDir(t));
  if (pem === null) return t.skip('openssl is missing');
  let listener: Listener | null = null;
  const failure = nextHandshakeFailure(() => listener);
  listener = await Listener.bind({ host: '127.0.0.1', port: 0 }, { tls: pem });
  t.after(() => listener?.close());
  const plain = net.connect({ host: '127.0.0.1', port: portOf(listener) }, () =>
    plain.write('GET / HTTP/1.0\r\n\r\n'),
  );
  t.after(() => plain.destroy());
  const closed = closedByPeer(plain);
  const { error } = await failure;
  assert.ok(error instanceof Error);
  await closed;
});

test('admit: a refused client is closed before anything is read, never accepted', async (t) => {
  const seen: PeerAddress[] = [];
  let refuse = true;
  const listener = await Listener.bind(
    { host: '127.0.0.1', port: 0 },
    {
      admit: (address) => {
        seen.push(address);
        return !refuse;
      },
    },
  );
  t.after(() => listener.close());
  const refused = net.connect({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => refused.destroy());
  await closedByPeer(refused);
  assert.equal(listener.pending, 0);
  refuse = false;
  const welcome = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => welcome.destroy());
  const { socket, address } = await listener.accept();
  t.after(() => socket.destroy());
  assert.deepEqual(address, welcome.getSockName());
  assert.equal(seen.length, 2);
  assert.equal(seen[0]?.family, 'IPv4');
});

test('admit with tls: a refused client gets no handshake', async (t) => {
  const pem = selfSignedPem(tmpDir(t));
  if (pem === null) return t.skip('openssl is missing');
  const listener = await Listener.bind(
    { host: '127.0.0.1', port: 0 },
    { tls: pem, admit: () => false },
  );
  t.after(() => listener.close());
  const client = tls.connect({
    host: '127.0.0.1',
    port: portOf(listener),
    ca: pem.cert,
    servername: 'localhost',
  });
  t.after(() => client.destroy());
  const outcome = await new Promise<string>((resolve) => {
    client.once('secureConnect', () => resolve('handshaken'));
    client.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    client.once('close', () => resolve('closed'));
  });
  assert.notEqual(outcome, 'handshaken');
  assert.equal(listener.pending, 0);
});

test('admit must be a function', async () => {
  await assert.rejects(
    Listener.bind({ host: '127.0.0.1', port: 0 }, { admit: 'no' as never }),
    InvalidArgumentError,
  );
});
