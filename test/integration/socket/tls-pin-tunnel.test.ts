/**
 * `fingerprint256` on the TLS paths that start over an open connection: `Socket.startTls`
 * (a STARTTLS-like upgrade) and `connectThroughProxy({ tls })` through the SOCKS5 and HTTP
 * CONNECT proxies (src/services/socks, http-proxy). The pin is checked by the one check
 * of src/socket/tls-pin.ts that `connect` uses: the right pin trusts a self-signed
 * certificate, a wrong one fails with `TlsFingerprintError` before any application byte
 * is sent and closes the connection, a malformed one is refused before any I/O. The
 * peers are real `node:tls` servers on loopback with an openssl-made certificate.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import { type TestContext, test } from 'node:test';
import * as tls from 'node:tls';
import {
  ConnectError,
  InvalidArgumentError,
  TlsFingerprintError,
} from '../../../src/errors/index.js';
import { httpProxyService } from '../../../src/services/http-proxy/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import { connectThroughProxy, type ProxyType } from '../../../src/socket/connect-through-proxy.js';
import { Socket } from '../../../src/socket/index.js';
import { formatFingerprint } from '../../../src/socket/tls-pin.js';
import { needs } from '../../helpers/needs.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';
import { startProxy } from '../services/helpers/proxy-harness.js';
import { tmpDir } from './_helpers.js';

const skip = needs('openssl');

interface Peer {
  port: number;
  fingerprint: string;
  /**
   * Resolves with the bytes the server's connection #n received, once it is closed (a
   * client that gave up in the handshake counts as a connection that received nothing).
   */
  ended(n: number): Promise<number>;
}

/**
 * A TLS echo peer with a self-signed certificate. `plainFirst`: a plain TCP server that
 * starts TLS on its side at once (the client upgrades with startTls); else a `tls` server.
 */
async function peer(t: TestContext, plainFirst: boolean): Promise<Peer> {
  const pem = selfSignedPem(tmpDir(t));
  assert.ok(pem !== null, 'openssl made a certificate');
  const results: Array<Promise<number>> = [];
  const waiters: Array<() => void> = [];
  const add = (p: Promise<number>): void => {
    results.push(p);
    for (const w of waiters.splice(0)) w();
  };
  const track = (s: tls.TLSSocket): void =>
    add(
      new Promise<number>((resolve) => {
        let received = 0;
        s.on('data', (chunk: Buffer) => {
          received += chunk.length;
          s.write(chunk);
        });
        s.on('end', () => s.end());
        s.on('error', () => {});
        s.on('close', () => resolve(received));
      }),
    );
  const options = { cert: pem.cert, key: pem.key };
  let server: net.Server;
  if (plainFirst) {
    const context = tls.createSecureContext(options);
    server = net.createServer((plain) => {
      plain.on('error', () => {});
      track(new tls.TLSSocket(plain, { isServer: true, secureContext: context }));
    });
  } else {
    server = tls.createServer(options, (s) => track(s));
    // A client that left before the server's side of the handshake finished (a TLS 1.3
    // client that refused the certificate sends its Finished and closes at once).
    server.on('tlsClientError', () => add(Promise.resolve(0)));
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return {
    port: (server.address() as net.AddressInfo).port,
    fingerprint: new X509Certificate(pem.cert).fingerprint256,
    ended: async (n) => {
      while (results.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return results[n]!;
    },
  };
}

const WRONG = formatFingerprint(Buffer.alloc(32, 0x5a));

test(
  'startTls with the right fingerprint upgrades to a self-signed peer; bytes flow both ways',
  { skip },
  async (t) => {
    const p = await peer(t, true);
    const sock = await Socket.createConnection(
      { host: '127.0.0.1', port: p.port },
      { timeout: 30 },
    );
    t.after(() => sock.destroy());
    // Lower case without colons is the same pin.
    await sock.startTls({
      tls: { fingerprint256: p.fingerprint.replaceAll(':', '').toLowerCase() },
    });
    await sock.sendAll('pinned upgrade\n');
    assert.equal((await sock.recvUntil('\n')).toString(), 'pinned upgrade');
    await sock.shutdown('write');
    assert.equal((await sock.recv(100)).length, 0, 'EOF after the echo');
    await sock.close();
    assert.equal(await p.ended(0), 15);
  },
);

test(
  'startTls with a wrong fingerprint: TlsFingerprintError, a send made meanwhile never goes out, the connection closed',
  { skip },
  async (t) => {
    const p = await peer(t, true);
    const sock = await Socket.createConnection(
      { host: '127.0.0.1', port: p.port },
      { timeout: 30 },
    );
    t.after(() => sock.destroy());
    const started = sock.startTls({ tls: { fingerprint256: WRONG } });
    const early = sock.sendAll('must not be sent\n');
    const [handshake, send] = await Promise.allSettled([started, early]);
    assert.ok(handshake.status === 'rejected');
    const err: unknown = handshake.reason;
    assert.ok(err instanceof TlsFingerprintError, String(err));
    assert.ok(err instanceof ConnectError);
    assert.equal(err.code, 'ERR_TLS_FINGERPRINT_MISMATCH');
    assert.equal(err.expected, WRONG);
    assert.equal(err.actual, p.fingerprint);
    assert.equal(send.status, 'rejected');
    assert.equal(sock.raw.destroyed, true);
    // The peer saw the connection go (destroyed: no close_notify), without a byte.
    assert.equal(await p.ended(0), 0);
    await assert.rejects(sock.sendAll('late'), TlsFingerprintError);
  },
);

test(
  'startTls with a malformed fingerprint: InvalidArgumentError, nothing changed (the plain connection still works)',
  { skip },
  async (t) => {
    const p = await peer(t, true);
    const sock = await Socket.createConnection(
      { host: '127.0.0.1', port: p.port },
      { timeout: 30 },
    );
    t.after(() => sock.destroy());
    const plain = sock.raw;
    await assert.rejects(sock.startTls({ tls: { fingerprint256: 'AB:CD' } }), InvalidArgumentError);
    assert.equal(sock.raw, plain, 'no TLS layer was started');
    await sock.startTls({ tls: { fingerprint256: p.fingerprint } });
    await sock.sendAll('after\n');
    assert.equal((await sock.recvUntil('\n')).toString(), 'after');
    await sock.close();
  },
);

for (const type of ['socks5', 'http'] as const satisfies readonly ProxyType[]) {
  test(
    `connectThroughProxy({ tls: { fingerprint256 } }) through ${type}: the right pin relays both ways; a wrong one is TlsFingerprintError naming the destination`,
    { skip },
    async (t) => {
      const p = await peer(t, false);
      const proxy = await startProxy(
        t,
        type === 'socks5' ? socksService : httpProxyService,
        type === 'socks5'
          ? { allowDestination: ['127.0.0.0/8'] }
          : { allowDestination: ['127.0.0.0/8'], allowPort: [String(p.port)] },
      );
      const options = {
        proxy: { host: '127.0.0.1', port: proxy.port },
        type,
        // A name: without the pin its check would be for `localhost`; the pin replaces it.
        host: 'localhost',
        port: p.port,
        timeout: 30,
      };
      const sock = await connectThroughProxy({
        ...options,
        tls: { fingerprint256: p.fingerprint },
      });
      await sock.sendAll('through the tunnel, pinned\n');
      assert.equal((await sock.recvUntil('\n')).toString(), 'through the tunnel, pinned');
      await sock.shutdown('write');
      assert.equal((await sock.recv(100)).length, 0);
      await sock.close();
      assert.equal(await p.ended(0), 27);

      const err = await connectThroughProxy({ ...options, tls: { fingerprint256: WRONG } }).then(
        () => assert.fail('connected'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TlsFingerprintError, String(err));
      assert.equal(err.code, 'ERR_TLS_FINGERPRINT_MISMATCH');
      assert.equal(err.address, 'localhost');
      assert.equal(err.port, p.port);
      assert.equal(err.actual, p.fingerprint);
      assert.match(err.message, new RegExp(`of localhost:${p.port} is not the pinned one`));
      // The tunnel was closed: the destination saw it go, without a byte.
      assert.equal(await p.ended(1), 0);
    },
  );
}

test('connectThroughProxy with a malformed fingerprint: InvalidArgumentError before connecting to the proxy', async (t) => {
  let connections = 0;
  const proxy = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  t.after(() => proxy.close());
  await assert.rejects(
    connectThroughProxy({
      proxy: { host: '127.0.0.1', port: (proxy.address() as net.AddressInfo).port },
      type: 'socks5',
      host: '127.0.0.1',
      port: 443,
      tls: { fingerprint256: 'not a fingerprint' },
    }),
    (err) => err instanceof InvalidArgumentError && /fingerprint256/.test(err.message),
  );
  assert.equal(connections, 0);
});
