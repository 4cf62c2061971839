/**
 * `tls: { fingerprint256 }` (src/socket/tls-pin.ts): a pinned TLS connect trusts exactly
 * the certificate with that SHA-256 fingerprint — a self-signed one included — and a
 * mismatch fails with `TlsFingerprintError` before any application byte is sent. The
 * server is a real `node:tls` server on loopback with an openssl-made certificate.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import type * as net from 'node:net';
import { type TestContext, test } from 'node:test';
import * as tls from 'node:tls';
import {
  ConnectError,
  InvalidArgumentError,
  TlsFingerprintError,
} from '../../../src/errors/index.js';
import { Socket } from '../../../src/socket/index.js';
import { formatFingerprint, parseFingerprint256 } from '../../../src/socket/tls-pin.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';
import { tmpDir } from './_helpers.js';

interface Served {
  port: number;
  fingerprint: string;
  /** Resolves, per connection in order, with the bytes the server received from it. */
  received: Array<Promise<number>>;
  /** Resolves when the server side has a connection (handshaken or failed) #n. */
  nth(n: number): Promise<number>;
}

/** A TLS server that counts what each client sends until it closes (a line: `bye`). */
async function serve(t: TestContext): Promise<Served | null> {
  const pem = selfSignedPem(tmpDir(t));
  if (pem === null) return null;
  const received: Array<Promise<number>> = [];
  const waiters: Array<() => void> = [];
  const add = (p: Promise<number>): void => {
    received.push(p);
    for (const w of waiters.splice(0)) w();
  };
  // Not half-open: a client that gives up in the handshake is reported at once.
  const server = tls.createServer({ cert: pem.cert, key: pem.key }, (s) => {
    add(
      new Promise<number>((resolve) => {
        let n = 0;
        s.on('data', (chunk: Buffer) => {
          n += chunk.length;
          // A line in: answer and close.
          if (chunk.includes(10)) s.end('bye');
        });
        s.on('error', () => {});
        s.on('close', () => resolve(n));
      }),
    );
  });
  // A client that gave up in the handshake sent nothing either.
  server.on('tlsClientError', () => add(Promise.resolve(0)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    fingerprint: new X509Certificate(pem.cert).fingerprint256,
    received,
    nth: async (n) => {
      while (received.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return received[n]!;
    },
  };
}

test('parseFingerprint256: hex with or without colons, any case; anything else refused', () => {
  const bytes = Buffer.alloc(32, 0xab);
  const colons = formatFingerprint(bytes);
  assert.equal(colons, Array(32).fill('AB').join(':'));
  assert.deepEqual(parseFingerprint256(colons), bytes);
  assert.deepEqual(parseFingerprint256(colons.toLowerCase()), bytes);
  assert.deepEqual(parseFingerprint256('ab'.repeat(32)), bytes);
  for (const bad of ['', 'ab'.repeat(31), 'ab'.repeat(33), 'zz'.repeat(32), `${colons}:`, 'a:b'])
    assert.throws(() => parseFingerprint256(bad), InvalidArgumentError, bad);
});

test('the right fingerprint connects to a self-signed server; bytes flow both ways', async (t) => {
  const s = await serve(t);
  if (s === null) return t.skip('openssl is missing');
  // Lower case without colons is the same pin.
  const pin = s.fingerprint.replaceAll(':', '').toLowerCase();
  const sock = await Socket.createConnection(
    { host: '127.0.0.1', port: s.port },
    { tls: { fingerprint256: pin }, timeout: 30 },
  );
  t.after(() => sock.destroy());
  await sock.sendAll('pinned\n');
  assert.equal((await sock.recvUntil('bye', { keepDelimiter: true })).toString(), 'bye');
  await sock.close();
  assert.equal(await s.nth(0), 7);
});

test('a wrong fingerprint: TlsFingerprintError naming both, and nothing sent', async (t) => {
  const s = await serve(t);
  if (s === null) return t.skip('openssl is missing');
  const wrong = formatFingerprint(Buffer.alloc(32, 0x11));
  const sock = new Socket();
  const err = await sock
    .connect({ host: '127.0.0.1', port: s.port }, { tls: { fingerprint256: wrong }, timeout: 30 })
    .then(
      () => assert.fail('connected'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof TlsFingerprintError, String(err));
  assert.ok(err instanceof ConnectError);
  assert.equal(err.code, 'ERR_TLS_FINGERPRINT_MISMATCH');
  assert.equal(err.expected, wrong);
  assert.equal(err.actual, s.fingerprint);
  assert.match(err.message, /127\.0\.0\.1:\d+/);
  assert.ok(err.message.includes(wrong) && err.message.includes(s.fingerprint));
  // A second connect reports the failure: the socket cannot be used.
  await assert.rejects(sock.connect({ host: '127.0.0.1', port: s.port }), TlsFingerprintError);
  assert.equal(await s.nth(0), 0, 'the server received no application byte');
});

test('without a pin, a self-signed certificate is still refused (verified TLS stays the default)', async (t) => {
  const s = await serve(t);
  if (s === null) return t.skip('openssl is missing');
  await assert.rejects(
    Socket.createConnection({ host: '127.0.0.1', port: s.port }, { tls: {}, timeout: 30 }),
    (err: Error & { cause?: { code?: string } }) =>
      /SELF_SIGNED/.test(String(err.cause?.code ?? (err as { code?: string }).code)),
  );
});

test('a malformed fingerprint is refused before connecting', async () => {
  const sock = new Socket();
  // Port 9 on loopback: never reached, the option is checked first.
  await assert.rejects(
    sock.connect({ host: '127.0.0.1', port: 9 }, { tls: { fingerprint256: 'not-hex' } }),
    InvalidArgumentError,
  );
});
