/**
 * `endWriting()` (the relay engine's FIN) and `shutdown('write')` asked for while a TLS
 * handshake is in progress (`startTls`, here with a `fingerprint256` pin) used to end
 * the TLS stream at once: a TLS 1.2 peer saw EOF mid-handshake and gave up, so a wrong
 * pin surfaced as a `ConnectionResetError` instead of `TlsFingerprintError`, the right
 * pin failed, and `endWriting`'s callback said the FIN was out on a connection the pin
 * check then destroyed. The FIN now waits for the handshake's outcome.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import { type TestContext, test } from 'node:test';
import * as tls from 'node:tls';
import { TlsFingerprintError } from '../../src/errors/index.js';
import { Socket } from '../../src/socket/index.js';
import { formatFingerprint } from '../../src/socket/tls-pin.js';
import { needs } from '../helpers/needs.js';
import { selfSignedPem } from '../helpers/tls-cert.js';
import { tmpDir } from '../integration/socket/_helpers.js';

const skip = needs('openssl');

interface Peer {
  port: number;
  fingerprint: string;
  /** What the server's TLS side read until its peer's EOF (or the connection's end). */
  received: Promise<string>;
}

/** A plain server that starts TLS (1.2 at most) on each connection at once. */
async function tlsAfterAccept(t: TestContext): Promise<Peer> {
  const pem = selfSignedPem(tmpDir(t));
  assert.ok(pem !== null, 'openssl made a certificate');
  const context = tls.createSecureContext({ cert: pem.cert, key: pem.key, maxVersion: 'TLSv1.2' });
  let resolve!: (text: string) => void;
  const received = new Promise<string>((r) => (resolve = r));
  const server = net.createServer({ allowHalfOpen: true }, (plain) => {
    plain.on('error', () => {});
    const s = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
    let text = '';
    s.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    s.on('error', () => {});
    s.on('end', () => resolve(text));
    s.on('close', () => resolve(text));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return {
    port: (server.address() as net.AddressInfo).port,
    fingerprint: new X509Certificate(pem.cert).fingerprint256,
    received,
  };
}

async function plainClient(t: TestContext, p: Peer): Promise<Socket> {
  const sock = await Socket.createConnection({ host: '127.0.0.1', port: p.port }, { timeout: 30 });
  t.after(() => sock.destroy());
  return sock;
}

test(
  'endWriting during a startTls with the right pin: the handshake completes, then the FIN',
  { skip },
  async (t) => {
    const p = await tlsAfterAccept(t);
    const sock = await plainClient(t, p);
    const started = sock.startTls({ tls: { fingerprint256: p.fingerprint } });
    const ended = new Promise<Error | null | undefined>((resolve) => {
      assert.equal(sock.endWriting(resolve), true);
    });
    assert.equal(
      sock.endWriting(() => assert.fail('a second FIN')),
      false,
      'one FIN pending',
    );
    await started;
    assert.equal(await ended, null);
    assert.equal(await p.received, '', 'the server saw a clean EOF');
  },
);

test(
  'endWriting during a startTls with a wrong pin: TlsFingerprintError for both, no FIN reported',
  { skip },
  async (t) => {
    const p = await tlsAfterAccept(t);
    const sock = await plainClient(t, p);
    const wrong = formatFingerprint(Buffer.alloc(32, 0x5a));
    const started = sock.startTls({ tls: { fingerprint256: wrong } });
    const ended = new Promise<Error | null | undefined>((resolve) => sock.endWriting(resolve));
    await assert.rejects(started, TlsFingerprintError);
    assert.ok((await ended) instanceof TlsFingerprintError);
    assert.equal(sock.raw.destroyed, true);
  },
);

test(
  "shutdown('write') during a startTls waits for the handshake; data sent first arrives",
  { skip },
  async (t) => {
    const p = await tlsAfterAccept(t);
    const sock = await plainClient(t, p);
    const started = sock.startTls({ tls: { fingerprint256: p.fingerprint } });
    const sent = sock.sendAll('before the FIN\n');
    const shut = sock.shutdown('write');
    await Promise.all([started, sent, shut]);
    assert.equal(await p.received, 'before the FIN\n');
  },
);
