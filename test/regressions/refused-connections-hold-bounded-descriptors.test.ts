// Issue 10, defect 17: --max-connections did not bound file descriptors: every refused
// connection lingered 2 s (to deliver the busy line), uncounted, so a flood of clients
// that never close held one descriptor each. Now refusals that linger are counted and
// capped (MAX_LINGERING_REFUSALS), and linger at most 1 s; beyond the cap a refused
// connection is closed at once.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { TcpServer } from '../../src/server/index.js';
import { MAX_LINGERING_REFUSALS } from '../../src/server/stream-server.js';
import type { Socket } from '../../src/socket/tcp-socket.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

async function hold(conn: Socket): Promise<void> {
  for await (const _ of conn);
}

/** A client that never closes its side; resolves once the server ended or closed it. */
function stubbornClient(port: number): { sock: net.Socket; refused: Promise<void> } {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  sock.on('error', () => {});
  sock.resume();
  const refused = new Promise<void>((resolve) => {
    sock.once('end', () => resolve());
    sock.once('close', () => resolve());
  });
  return { sock, refused };
}

test('a flood of refused clients that never close holds a bounded number of descriptors', async (t) => {
  const server = await new TcpServer({
    port: 0,
    maxConnections: 1,
    maxConnectionsPerIp: 0,
    acceptRate: 0,
    handler: hold,
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const { port } = server.address as { port: number };
  const holder = net.connect({ port, host: '127.0.0.1' });
  t.after(() => holder.destroy());
  await new Promise((resolve) => holder.once('connect', resolve));
  const baseline = openFds();
  const flood = 600;
  const clients = Array.from({ length: flood }, () => stubbornClient(port));
  t.after(() => clients.forEach((c) => c.sock.destroy()));
  await Promise.all(clients.map((c) => c.refused));
  // Every client has its own descriptor in this process; the server may hold at most
  // MAX_LINGERING_REFUSALS more for the refusals (before: one per refused client).
  const serverHeld = openFds() - baseline - flood;
  assert.ok(
    serverHeld <= MAX_LINGERING_REFUSALS + 4,
    `the server holds ${serverHeld} descriptors for ${flood} refusals`,
  );
  assert.ok(server.refusing <= MAX_LINGERING_REFUSALS, `${server.refusing} refusals lingering`);
  assert.equal(server.connections, 1);
});
