// Socket.startTls against real peers on loopback: a STARTTLS-like exchange with a node
// TLS server that upgrades its side after a plain-text line (the certificate verified
// with a throwaway CA, refused without it, checked for the host given), plain-text bytes
// left unread refused, and connectThroughProxy({ tls }) through `serve socks`: the
// destination's name for SNI and the check, the one deadline over the TLS handshake,
// bytes a proxy sends before the handshake refused.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as tls from 'node:tls';
import {
  ConnectError,
  InvalidArgumentError,
  InvalidStateError,
  ProxyProtocolError,
  SocketTimeoutError,
} from '../../../src/errors.js';
import { socksService } from '../../../src/services/socks/index.js';
import { connectThroughProxy } from '../../../src/socket/connect-through-proxy.js';
import { Socket } from '../../../src/socket/index.js';
import { needs } from '../../helpers/needs.js';
import { type TestCa, testCa } from '../../helpers/tls-cert.js';
import { startProxy } from '../services/helpers/proxy-harness.js';

const skip = needs('openssl');

function setup(t: TestContext): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'sk-start-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return testCa(dir);
}

interface Upgrader {
  port: number;
  /** Application bytes the server received under TLS, per connection. */
  received: Buffer[];
  /** The SNI of each handshake (false when none was sent). */
  servernames: (string | false)[];
  /** Resolves once every connection the server accepted is closed. */
  allClosed(): Promise<void>;
}

/**
 * A plain TCP server that answers `STARTTLS\r\n` with `220 go ahead\r\n` + `extra`, then
 * upgrades its side to TLS with `pair` and echoes what it receives under TLS.
 */
async function upgrader(
  t: TestContext,
  pair: { cert: string; key: string },
  extra = '',
): Promise<Upgrader> {
  const context = tls.createSecureContext({
    cert: readFileSync(pair.cert),
    key: readFileSync(pair.key),
  });
  const received: Buffer[] = [];
  const servernames: (string | false)[] = [];
  let open = 0;
  const idle = new EventEmitter();
  const server = net.createServer((plain) => {
    open++;
    plain.on('close', () => {
      if (--open === 0) idle.emit('idle');
    });
    plain.on('error', () => {});
    let line = '';
    const onLine = (chunk: Buffer): void => {
      line += chunk.toString('latin1');
      if (!line.endsWith('\r\n')) return;
      plain.off('data', onLine);
      // One write: the go-ahead and any injected bytes reach the client in one chunk.
      plain.write(`220 go ahead\r\n${extra}`);
      const secure = new tls.TLSSocket(plain, {
        isServer: true,
        secureContext: context,
        SNICallback: (name, cb) => {
          servernames.push(name);
          cb(null, context);
        },
      });
      const mine: Buffer[] = [];
      received.push(Buffer.alloc(0));
      const index = received.length - 1;
      secure.on('error', () => {});
      secure.on('data', (chunk: Buffer) => {
        mine.push(chunk);
        received[index] = Buffer.concat(mine);
        secure.write(chunk);
      });
      secure.on('end', () => secure.end());
    };
    plain.on('data', onLine);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.close();
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    servernames,
    allClosed: () => (open === 0 ? Promise.resolve() : once(idle, 'idle').then(() => {})),
  };
}

/** Connects, asks for STARTTLS and reads the go-ahead line. */
async function goAhead(port: number): Promise<Socket> {
  const sock = await Socket.createConnection({ host: '127.0.0.1', port }, { timeout: 30 });
  await sock.sendAll('STARTTLS\r\n');
  assert.equal((await sock.recvUntil('\r\n')).toString(), '220 go ahead');
  return sock;
}

test(
  'startTls upgrades a plain connection in place: verified with the CA, same socket, echo under TLS',
  { skip },
  async (t) => {
    const ca = setup(t);
    const server = await upgrader(t, ca.issue('local', ['DNS:localhost', 'IP:127.0.0.1']));
    const sock = await goAhead(server.port);
    const plain = sock.raw;
    const started = sock.startTls({ tls: { ca: readFileSync(ca.ca) } });
    // Sent during the handshake: waits for it, then goes out under TLS.
    const sent = sock.sendAll('secret over tls\n');
    await started;
    await sent;
    assert.notEqual(sock.raw, plain);
    // One consumer, on the TLS layer only: the plain socket's bytes all go to TLS.
    assert.equal(plain.listenerCount('data'), 0);
    assert.equal(sock.raw.listenerCount('data'), 1);
    assert.equal((sock.raw as tls.TLSSocket).authorized, true);
    // The IP connected to is checked against the IP SANs; no SNI for an address.
    assert.deepEqual(server.servernames, []);
    assert.equal((await sock.recvUntil('\n')).toString(), 'secret over tls');
    assert.deepEqual(sock.getPeerName(), {
      family: 'IPv4',
      address: '127.0.0.1',
      port: server.port,
    });
    // Push mode on the upgraded connection gets the decrypted bytes too.
    const chunks: Buffer[] = [];
    const ended = sock.onData((chunk) => chunks.push(Buffer.from(chunk)));
    sock.write('pushed\n');
    await sock.shutdown('write');
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'pushed\n');
    await sock.close();
    await server.allClosed();
    assert.equal(server.received[0]?.toString(), 'secret over tls\npushed\n');
  },
);

test(
  'startTls sends the host given as SNI and checks the certificate for it',
  { skip },
  async (t) => {
    const ca = setup(t);
    const server = await upgrader(t, ca.issue('named', ['DNS:mail.test']));
    const sock = await goAhead(server.port);
    await sock.startTls({ host: 'mail.test', tls: { ca: readFileSync(ca.ca) } });
    assert.deepEqual(server.servernames, ['mail.test']);
    await sock.sendAll('x\n');
    assert.equal((await sock.recvUntil('\n')).toString(), 'x');
    sock.destroy();

    // The default name is the host connected to (127.0.0.1): not in this certificate.
    const wrong = await goAhead(server.port);
    await assert.rejects(wrong.startTls({ tls: { ca: readFileSync(ca.ca) } }), (err) => {
      assert.ok(err instanceof ConnectError, String(err));
      assert.equal(err.errno, 'ERR_TLS_CERT_ALTNAME_INVALID');
      return true;
    });
    await server.allClosed();
  },
);

test(
  'an untrusted certificate is refused: ConnectError with its code, the connection closed, no byte sent',
  { skip },
  async (t) => {
    const ca = setup(t);
    const server = await upgrader(t, ca.issue('local', ['IP:127.0.0.1']));
    const sock = await goAhead(server.port);
    const started = sock.startTls();
    // A send made during the handshake is never handed to TLS: it fails with it.
    const early = sock.sendAll('must not be sent\n');
    const [handshake, send] = await Promise.allSettled([started, early]);
    assert.equal(send.status, 'rejected');
    assert.ok(send.reason instanceof ConnectError);
    await assert.rejects(Promise.reject((handshake as PromiseRejectedResult).reason), (err) => {
      assert.ok(err instanceof ConnectError, String(err));
      assert.equal(err.code, 'ERR_CONNECT');
      assert.equal(err.errno, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal((err.cause as { code?: string }).code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      return true;
    });
    // The server sees the close (the tunnel's socket is destroyed, not left open).
    await server.allClosed();
    assert.equal(sock.raw.destroyed, true);
    await assert.rejects(sock.sendAll('late'), /unable to verify the first certificate/);
    assert.equal(server.received[0]?.length ?? 0, 0);
    sock.destroy();
  },
);

test(
  'startTls refuses plain-text bytes left unread (STARTTLS injection) and a second upgrade',
  { skip },
  async (t) => {
    const ca = setup(t);
    const server = await upgrader(t, ca.issue('local', ['IP:127.0.0.1']), 'INJECTED');
    const sock = await goAhead(server.port);
    await assert.rejects(
      sock.startTls({ tls: { ca: readFileSync(ca.ca) } }),
      (err) =>
        err instanceof InvalidStateError && /8 bytes received in plain text/.test(err.message),
    );
    // Refused before anything changed: the plain bytes are still there.
    assert.equal((await sock.recvExactly(8)).toString(), 'INJECTED');
    // Options Node refuses: nothing changed either, the next attempt works.
    await assert.rejects(
      sock.startTls({ tls: { minVersion: 'TLSv0' as tls.SecureVersion } }),
      InvalidArgumentError,
    );
    await sock.startTls({ tls: { ca: readFileSync(ca.ca) } });
    await assert.rejects(sock.startTls(), /the connection is TLS already/);
    sock.destroy();
    await server.allClosed();
  },
);

test(
  'startTls: a handshake that never completes times out and closes; an abort does the same',
  { skip },
  async (t) => {
    // A server that accepts and never answers the ClientHello.
    // Reads (and drops) what comes, so it sees the client's close.
    const silent = net.createServer((s) => s.on('error', () => {}).resume());
    let open = 0;
    const closed = new EventEmitter();
    silent.on('connection', (s) => {
      open++;
      s.on('close', () => {
        if (--open === 0) closed.emit('idle');
      });
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    t.after(() => {
      silent.close();
    });
    const port = (silent.address() as net.AddressInfo).port;
    const idle = once(closed, 'idle');
    const sock = await Socket.createConnection({ host: '127.0.0.1', port });
    await assert.rejects(sock.startTls({ timeout: 0.2 }), SocketTimeoutError);
    await idle;
    sock.destroy();

    const idle2 = once(closed, 'idle');
    const other = await Socket.createConnection({ host: '127.0.0.1', port });
    const controller = new AbortController();
    const started = other.startTls({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(started, /stop/);
    await idle2;
    other.destroy();
  },
);

test(
  'connectThroughProxy({ tls }) through serve socks: the destination named for SNI and the check',
  { skip },
  async (t) => {
    const ca = setup(t);
    // Only the name: a check against the proxy's address (127.0.0.1) would fail.
    const pair = ca.issue('dest', ['DNS:localhost']);
    const received: Buffer[] = [];
    const names: (string | false)[] = [];
    const dest = tls.createServer(
      { cert: readFileSync(pair.cert), key: readFileSync(pair.key) },
      (s) => {
        names.push((s as tls.TLSSocket & { servername?: string | false }).servername ?? false);
        s.on('error', () => {});
        s.on('data', (c: Buffer) => {
          received.push(c);
          s.write(c);
        });
        s.on('end', () => s.end());
      },
    );
    dest.on('tlsClientError', () => {});
    dest.listen(0, '127.0.0.1');
    await once(dest, 'listening');
    t.after(() => {
      dest.close();
    });
    const destPort = (dest.address() as net.AddressInfo).port;
    const proxy = await startProxy(t, socksService, { allowDestination: ['127.0.0.0/8', '::1'] });
    const sock = await connectThroughProxy({
      proxy: { host: '127.0.0.1', port: proxy.port },
      type: 'socks5',
      host: 'localhost',
      port: destPort,
      tls: { ca: readFileSync(ca.ca) },
    });
    assert.equal(sock.getOperationTimeout(), null);
    await sock.sendAll('through the tunnel\n');
    assert.equal((await sock.recvUntil('\n')).toString(), 'through the tunnel');
    assert.deepEqual(names, ['localhost']);
    await sock.close();

    // Untrusted: the error names the destination, keeps the code; nothing was sent.
    const before = received.length;
    await assert.rejects(
      connectThroughProxy({
        proxy: { host: '127.0.0.1', port: proxy.port },
        type: 'socks5',
        host: 'localhost',
        port: destPort,
        tls: {},
      }),
      (err) => {
        assert.ok(err instanceof ConnectError, String(err));
        assert.equal(err.errno, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
        assert.equal(err.address, 'localhost');
        assert.match(err.message, /TLS handshake with localhost:\d+ through socks5 proxy/);
        return true;
      },
    );
    assert.equal(received.length, before);
  },
);

test('connectThroughProxy({ tls }): bytes after the proxy reply are refused; the deadline covers the TLS handshake', async (t) => {
  // A SOCKS5 proxy that grants at once and appends `extra` (or then says nothing).
  const fake = async (extra: Buffer): Promise<number> => {
    const server = net.createServer((s) => {
      s.on('error', () => {});
      let seen = 0;
      s.on('data', (c: Buffer) => {
        seen += c.length;
        // greeting (3 bytes: 05 01 00), then CONNECT (10 bytes for an IPv4 destination)
        if (seen === 3) s.write(Buffer.from([5, 0]));
        else if (seen === 13) {
          s.write(Buffer.concat([Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]), extra]));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => {
      server.close();
    });
    return (server.address() as net.AddressInfo).port;
  };
  const options = (port: number) =>
    ({
      proxy: { host: '127.0.0.1', port },
      type: 'socks5',
      host: '127.0.0.1',
      port: 443,
      tls: {},
    }) as const;
  await assert.rejects(
    connectThroughProxy(options(await fake(Buffer.from('HTTP/1.1 200 OK\r\n')))),
    (err) =>
      err instanceof ProxyProtocolError &&
      /sent 17 bytes after its reply, before the TLS handshake/.test(err.message),
  );
  await assert.rejects(
    connectThroughProxy({ ...options(await fake(Buffer.alloc(0))), timeout: 1 }),
    (err) =>
      err instanceof SocketTimeoutError &&
      /TLS handshake with 127\.0\.0\.1:443 \(socks5 proxy 127\.0\.0\.1:\d+\)/.test(err.message),
  );
});
