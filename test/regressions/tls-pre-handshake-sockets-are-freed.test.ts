// Issue 10, defect 1: a TLS listener leaked a socket for ever per client that closed, or
// stayed silent, before the handshake (tls.Server with allowHalfOpen, tlsClientError only
// logged), and --max-connections did not count them. Now: a client that closes before its
// handshake is freed at once, a silent one at the handshake timeout, both count against
// maxConnections and the per-address cap, and the process's descriptors return to their
// baseline.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { after, describe, test } from 'node:test';
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TcpServer } from '../../src/server/index.js';
import type { Socket } from '../../src/socket/tcp-socket.js';
import { selfSignedPem } from '../helpers/tls-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-tls-pre-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pem = selfSignedPem(dir);
const skip = pem === null ? 'openssl is not installed' : false;

const openFds = (): number => readdirSync('/proc/self/fd').length;

async function echo(conn: Socket): Promise<void> {
  for await (const chunk of conn) await conn.sendAll(chunk);
}

/** Resolves once `cond()` holds, checking after each turn of the event loop (bounded). */
async function settles(cond: () => boolean, what: string, turns = 5000): Promise<void> {
  for (let i = 0; i < turns && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), what);
}

/** `work`, or a failure after `ms` (a bound, not a wait: the work normally ends far sooner). */
async function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** A raw TCP client that either closes at once (FIN) or stays silent; resolves on 'close'. */
function rawClient(port: number, finAtOnce: boolean): { closed: Promise<void>; sock: net.Socket } {
  const sock = net.connect({ port, host: '127.0.0.1' });
  const closed = new Promise<void>((resolve) => {
    sock.on('close', () => resolve());
  });
  sock.on('error', () => {});
  sock.resume();
  if (finAtOnce) sock.on('connect', () => sock.end());
  return { closed, sock };
}

function listenEvents(name: string): { events: Record<string, unknown>[]; stop: () => void } {
  const events: Record<string, unknown>[] = [];
  const fn = (m: unknown): void => {
    events.push(m as Record<string, unknown>);
  };
  diagnostics.subscribe(name, fn);
  return { events, stop: () => diagnostics.unsubscribe(name, fn) };
}

describe('TLS connections before their handshake', { skip }, () => {
  test('2,000 clients that close or stay silent before the handshake are all freed', async (t) => {
    const server = await new TcpServer({
      port: 0,
      tls: { key: pem!.key, cert: pem!.cert },
      handshakeTimeout: 0.3,
      maxConnectionsPerIp: 0,
      acceptRate: 0,
      handler: echo,
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const { port } = server.address as { port: number };
    const baseline = openFds();
    const total = 2000;
    const batch = 250;
    for (let start = 0; start < total; start += batch) {
      const clients = Array.from({ length: batch }, (_, i) =>
        rawClient(port, (start + i) % 2 === 0),
      );
      // Each client's 'close' means the server closed its side: at once for a FIN, at the
      // handshake timeout for a silent client. Before the fix neither ever came.
      await within(
        30_000,
        Promise.all(clients.map((c) => c.closed)),
        'clients closed by the server',
      );
    }
    await settles(() => server.connections === 0, 'every pre-handshake connection uncounted');
    await settles(
      () => openFds() <= baseline,
      `descriptors back to ${baseline}, have ${openFds()}`,
    );
    // A real client is still served.
    const reply = await new Promise<string>((resolve, reject) => {
      const c = tls.connect(
        { port, host: '127.0.0.1', ca: pem!.cert, servername: 'localhost' },
        () => c.end('still here'),
      );
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('end', () => resolve(got));
      c.on('error', reject);
    });
    assert.equal(reply, 'still here');
  });

  test('pre-handshake connections count against maxConnections and the per-address cap', async (t) => {
    const refused = listenEvents('socketkit:server:refused');
    t.after(refused.stop);
    const server = await new TcpServer({
      port: 0,
      tls: { key: pem!.key, cert: pem!.cert },
      handshakeTimeout: 30,
      maxConnections: 20,
      maxConnectionsPerIp: 8,
      handler: echo,
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const { port } = server.address as { port: number };
    const silent = Array.from({ length: 9 }, () => rawClient(port, false));
    t.after(() => silent.forEach((c) => c.sock.destroy()));
    // The ninth silent client from 127.0.0.1 is over the per-address cap: closed at once.
    await Promise.race(silent.map((c) => c.closed));
    await settles(() => refused.events.some((e) => e.server === server), 'a refusal published');
    const mine = refused.events.filter((e) => e.server === server);
    assert.deepEqual(
      mine.map((e) => e.reason),
      ['maxConnectionsPerIp'],
    );
    assert.equal(server.connections, 8);
  });

  test('a connection whose handshake completed outlives the handshake timeout', async (t) => {
    const errors = listenEvents('socketkit:server:error');
    t.after(errors.stop);
    const server = await new TcpServer({
      port: 0,
      tls: { key: pem!.key, cert: pem!.cert },
      handshakeTimeout: 0.2,
      handler: echo,
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const { port } = server.address as { port: number };
    const client = tls.connect({ port, host: '127.0.0.1', ca: pem!.cert, servername: 'localhost' });
    t.after(() => client.destroy());
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    // A silent client accepted after ours: once its deadline passed, ours passed too.
    const silent = rawClient(port, false);
    await silent.closed;
    await settles(
      () => errors.events.some((e) => e.server === server && e.phase === 'tls-handshake'),
      'the silent client timed out',
    );
    const timeout = errors.events.find((e) => e.server === server)?.error as { code?: string };
    assert.equal(timeout.code, 'ERR_SOCKET_TIMEOUT');
    const reply = await new Promise<string>((resolve) => {
      let got = '';
      client.on('data', (d) => {
        got += d;
        if (got === 'alive') resolve(got);
      });
      client.write('alive');
    });
    assert.equal(reply, 'alive');
    assert.equal(server.connections, 1);
  });
});
