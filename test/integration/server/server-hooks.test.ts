// The remaining hooks and options: serviceActions, concurrency: n, close(), channels.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { test } from 'node:test';
import {
  type ConnectionMessage,
  ClusterSupervisor,
  type ListeningMessage,
  TcpServer,
} from '../../../src/server/index.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import { deferred, waitForChannel } from '../../helpers/wait.js';
import { LineClient } from './helpers/clients.js';

/** Resolves after `serviceActions` ran `n` times on a fresh server polling every `interval` s. */
async function pollIntervals(n: number, interval: number): Promise<void> {
  const done = deferred();
  let calls = 0;
  const server = new TcpServer({
    port: 0,
    pollInterval: interval,
    handler: () => {},
    serviceActions: () => {
      if (++calls === n) done.resolve();
    },
  });
  const serving = server.serveForever();
  await done.promise;
  await server.shutdown();
  await serving;
}

test('serviceActions runs every pollInterval while serveForever runs', async () => {
  let calls = 0;
  const three = deferred();
  const server = new TcpServer({
    port: 0,
    pollInterval: 0.05,
    handler: () => {},
    serviceActions: () => {
      if (++calls === 3) three.resolve();
    },
  });
  const serving = server.serveForever(); // listens first
  await three.promise;
  await server.shutdown();
  await serving;
  const after = calls;
  // Three poll intervals of another server pass (the same timers): none of them here.
  await pollIntervals(3, 0.05);
  assert.equal(calls, after, 'no calls once closed');
});

test('concurrency: n runs at most n handlers at once', async (t) => {
  let running = 0;
  let peak = 0;
  // Handlers hold until two run at once: a third one would raise the peak meanwhile.
  const two = deferred();
  const server = await new TcpServer({
    port: 0,
    concurrency: 2,
    handler: async (conn: Socket) => {
      running++;
      peak = Math.max(peak, running);
      if (running === 2) two.resolve();
      await two.promise;
      await conn.sendAll('done');
      running--;
    },
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const clients = await Promise.all([1, 2, 3, 4, 5].map(() => LineClient.open(server.address)));
  const replies = await Promise.all(clients.map((c) => c.readAll()));
  assert.deepEqual(replies, Array(5).fill('done'));
  assert.equal(peak, 2);
});

test('close() is abrupt: connections are destroyed at once', async () => {
  const server = await new TcpServer({
    port: 0,
    handler: async (conn: Socket) => {
      await conn.recv(1); // waits for ever
    },
  }).listen();
  void server.serveForever();
  const accepted = waitForChannel('socketkit:server:connection');
  const c = await LineClient.open(server.address);
  await accepted;
  await server.destroy();
  await c.readAll(2000);
  assert.equal(c.ended, true);
  assert.equal(server.connections, 0);
});

test('listening and connection channels carry the documented fields', async (t) => {
  const listening: ListeningMessage[] = [];
  const connections: ConnectionMessage[] = [];
  const onListening = (m: unknown): void => {
    listening.push(m as ListeningMessage);
  };
  const onConnection = (m: unknown): void => {
    connections.push(m as ConnectionMessage);
  };
  diagnostics.subscribe('socketkit:server:listening', onListening);
  diagnostics.subscribe('socketkit:server:connection', onConnection);
  t.after(() => {
    diagnostics.unsubscribe('socketkit:server:listening', onListening);
    diagnostics.unsubscribe('socketkit:server:connection', onConnection);
  });
  const server = await new TcpServer({ port: 0, handler: (c) => c.sendAll('x') }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const c = await LineClient.open(server.address);
  await c.readAll();
  const mine = listening.find((m) => m.server === server);
  assert.equal(mine?.transport, 'tcp');
  assert.deepEqual(mine?.address, server.address);
  const conn = connections.find((m) => m.server === server);
  assert.equal(conn?.transport, 'tcp');
  assert.equal(conn?.remote.family, 'IPv4');
  assert.equal(typeof conn?.id, 'number');
});

test('options are checked at construction', () => {
  const handler = (): void => {};
  assert.throws(() => new TcpServer({ port: 70_000, handler }), { name: 'InvalidArgumentError' });
  assert.throws(() => new TcpServer({ maxConnections: 0, handler }), /maxConnections/);
  assert.throws(() => new TcpServer({ idleTimeout: -1, handler }), /idleTimeout/);
  // processes is the cluster supervisor's option now (a server knows nothing of workers).
  const servers = () => ({ tcp: new TcpServer({ handler }) });
  assert.throws(() => new ClusterSupervisor({ processes: 0, servers }), /processes/);
  assert.throws(() => new ClusterSupervisor({ processes: 1.5, servers }), /processes/);
  assert.throws(() => new TcpServer({ handler: 'echo' as unknown as typeof handler }), /handler/);
  assert.throws(
    () => new TcpServer({ tls: { key: 'k' } as unknown as { key: string; cert: string }, handler }),
    /tls needs both key and cert/,
  );
});
