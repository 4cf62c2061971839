// Issue 10, defect 10: one address could fill any service (1000 slow connections from one
// IP refused everybody else). Now the server framework itself caps the connections open
// from one address (maxConnectionsPerIp) and the rate at which one address opens them
// (acceptRate/acceptBurst, the one token-bucket limiter), for every stream service and
// transport; refusals are published on the `refused` channel with their reason; the
// per-address table is bounded and forgets an address whose count drops to 0.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { limitsFromFlags } from '../../src/cli/serve/flags-plan.js';
import { parseConfig } from '../../src/cli/serve/config-file.js';
import { AddressLimits, ipv6Key } from '../../src/server/address-limits.js';
import { TcpServer, UnixStreamServer } from '../../src/server/index.js';
import type { Socket } from '../../src/socket/tcp-socket.js';
import { ADDRESS_BUSY_LINE } from '../../src/server/stream-server.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-per-ip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Holds the connection open until the client closes; answers "hi" first. */
async function greet(conn: Socket): Promise<void> {
  await conn.sendAll('hi\n');
  for await (const _ of conn);
}

/** Connects (from `from`, a loopback address) and resolves with the first line or ''. */
function client(
  options: net.NetConnectOpts,
): Promise<{ sock: net.Socket; first: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(options);
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    let got = '';
    const done = (): void => resolve({ sock, first: got, closed });
    sock.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) done();
    });
    sock.once('end', done);
    sock.once('close', done);
    sock.once('error', (err) => (got === '' ? reject(err) : done()));
  });
}

function refusals(): { reasons: (server: object) => string[]; stop: () => void } {
  const seen: { server: unknown; reason: unknown }[] = [];
  const fn = (m: unknown): void => {
    seen.push(m as { server: unknown; reason: unknown });
  };
  diagnostics.subscribe('socketkit:server:refused', fn);
  return {
    reasons: (server) => seen.filter((m) => m.server === server).map((m) => String(m.reason)),
    stop: () => diagnostics.unsubscribe('socketkit:server:refused', fn),
  };
}

test('an address at its cap is refused with a line; other addresses are still served', async (t) => {
  const events = refusals();
  t.after(events.stop);
  const server = await new TcpServer({ port: 0, maxConnectionsPerIp: 3, handler: greet }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const { port } = server.address as { port: number };
  const mine = await Promise.all([1, 2, 3].map(() => client({ port, host: '127.0.0.1' })));
  t.after(() => mine.forEach((c) => c.sock.destroy()));
  assert.deepEqual(
    mine.map((c) => c.first),
    ['hi\n', 'hi\n', 'hi\n'],
  );
  const fourth = await client({ port, host: '127.0.0.1' });
  assert.equal(fourth.first, ADDRESS_BUSY_LINE);
  assert.deepEqual(events.reasons(server), ['maxConnectionsPerIp']);
  // Another address is not affected.
  const other = await client({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
  t.after(() => other.sock.destroy());
  assert.equal(other.first, 'hi\n');
  // A slot freed is a slot for the same address again (once the server closed it).
  const gone = mine[0]!.sock.localPort;
  const serverClosed = new Promise<void>((resolve) => {
    const onClose = (m: unknown): void => {
      if ((m as { remote: { port?: number } }).remote.port !== gone) return;
      diagnostics.unsubscribe('socketkit:server:close', onClose);
      resolve();
    };
    diagnostics.subscribe('socketkit:server:close', onClose);
  });
  mine[0]!.sock.destroy();
  await serverClosed;
  const again = await client({ port, host: '127.0.0.1' });
  t.after(() => again.sock.destroy());
  assert.equal(again.first, 'hi\n');
});

test('an address opening connections faster than acceptRate is refused', async (t) => {
  const events = refusals();
  t.after(events.stop);
  const server = await new TcpServer({
    port: 0,
    acceptRate: 0.001, // a token every 1000 s: only the burst gets in
    acceptBurst: 2,
    handler: greet,
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const { port } = server.address as { port: number };
  const firsts: string[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await client({ port, host: '127.0.0.1' });
    firsts.push(c.first);
    c.sock.destroy();
    await c.closed;
  }
  assert.deepEqual(firsts, ['hi\n', 'hi\n', ADDRESS_BUSY_LINE]);
  assert.deepEqual(events.reasons(server), ['acceptRate']);
  const other = await client({ port, host: '127.0.0.1', localAddress: '127.0.0.3' });
  t.after(() => other.sock.destroy());
  assert.equal(other.first, 'hi\n');
});

test('0 disables both limits; Unix socket clients are not counted per address', async (t) => {
  const path = join(dir, 'u.sock');
  const server = await new UnixStreamServer({
    path,
    maxConnectionsPerIp: 1,
    acceptRate: 0.001,
    acceptBurst: 1,
    handler: greet,
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const clients = await Promise.all([1, 2, 3].map(() => client({ path })));
  t.after(() => clients.forEach((c) => c.sock.destroy()));
  assert.deepEqual(
    clients.map((c) => c.first),
    ['hi\n', 'hi\n', 'hi\n'],
  );
  const open = await new TcpServer({
    port: 0,
    maxConnectionsPerIp: 0,
    acceptRate: 0,
    handler: greet,
  }).listen();
  t.after(() => open.destroy());
  void open.serveForever();
  const { port } = open.address as { port: number };
  const many = await Promise.all(
    Array.from({ length: 300 }, () => client({ port, host: '127.0.0.1' })),
  );
  t.after(() => many.forEach((c) => c.sock.destroy()));
  assert.ok(many.every((c) => c.first === 'hi\n'));
});

test('the per-address table forgets an address at 0 and is keyed per IPv6 /64', () => {
  const limits = new AddressLimits({ maxConnectionsPerIp: 2, acceptRate: 0 });
  for (let i = 0; i < 1000; i++) {
    const key = `10.0.${i >> 8}.${i & 255}`;
    assert.equal(limits.admit(key), null);
    limits.release(key);
  }
  assert.equal(limits.size, 0);
  assert.equal(limits.admit('10.0.0.1'), null);
  assert.equal(limits.admit('10.0.0.1'), null);
  assert.equal(limits.admit('10.0.0.1'), 'maxConnectionsPerIp');
  assert.equal(limits.size, 1);
  assert.equal(ipv6Key('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
  assert.equal(ipv6Key('2001:db8:0:1:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64');
  assert.equal(ipv6Key('::1'), '0:0:0:0::/64');
  assert.equal(ipv6Key('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(ipv6Key('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('serve flags and config keys reach the limits', () => {
  assert.deepEqual(
    limitsFromFlags({
      maxConnectionsPerIp: '0',
      acceptRate: '50',
      acceptBurst: '80',
      handshakeTimeout: '2.5',
    }),
    { maxConnectionsPerIp: 0, acceptRate: 50, acceptBurst: 80, handshakeTimeout: 2.5 },
  );
  assert.throws(() => limitsFromFlags({ maxConnectionsPerIp: '-1' }), /--max-connections-per-ip/);
  const [plan] = parseConfig(
    {
      services: [
        {
          service: 'echo',
          maxConnectionsPerIp: 16,
          acceptRate: 10,
          acceptBurst: 20,
          handshakeTimeout: 3,
        },
      ],
    },
    dir,
  );
  assert.deepEqual(plan!.limits, {
    maxConnectionsPerIp: 16,
    acceptRate: 10,
    acceptBurst: 20,
    handshakeTimeout: 3,
  });
});
