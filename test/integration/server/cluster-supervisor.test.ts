// ClusterSupervisor with processes: 1 — the factory's servers, by key, in this process;
// the multi-process role runs in echo-matrix.test.ts and worker-restart.test.ts (fixtures).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  ClusterSupervisor,
  failedServerKey,
  superviseCluster,
  TcpServer,
  UdpServer,
  UnixStreamServer,
} from '../../../src/server/index.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import { LineClient, tempDir, udpRequest } from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);

async function echo(conn: Socket): Promise<void> {
  for await (const chunk of conn) await conn.sendAll(chunk);
}

test('processes: 1 serves every server of the factory here, each under its key', async () => {
  const path = join(tmp.dir, 'sup.sock');
  const supervisor = await superviseCluster({
    servers: () => ({
      'tcp:echo': new TcpServer({ handler: echo }),
      'unix:echo': new UnixStreamServer({ path, handler: echo }),
      'udp:echo': new UdpServer({ handler: (p, ctx) => ctx.send(p) }),
    }),
  });
  assert.equal(supervisor.role, 'single');
  assert.deepEqual(supervisor.keys, ['tcp:echo', 'unix:echo', 'udp:echo']);
  assert.deepEqual(supervisor.pids, []);
  assert.ok(supervisor.server('tcp:echo')?.listening);
  const serving = supervisor.serveForever();
  for (const key of ['tcp:echo', 'unix:echo']) {
    const client = await LineClient.open(supervisor.address(key));
    client.sock.end('hello\n');
    assert.equal(await client.readAll(5000), 'hello\n', key);
    client.destroy();
  }
  assert.equal(String(await udpRequest(supervisor.address('udp:echo'), 'ping')), 'ping');
  assert.throws(() => supervisor.address('nope'), { name: 'InvalidArgumentError' });
  await supervisor.shutdown({ drainTimeout: 1 });
  await serving;
  assert.ok(supervisor.server('tcp:echo')?.closed);
  assert.ok(supervisor.server('udp:echo')?.closed);
});

test('a listen failure names its server (failedServerKey) and closes the ones already listening', async (t) => {
  const holder = await new TcpServer({ handler: () => {} }).listen();
  t.after(() => holder.destroy());
  const first = new TcpServer({ handler: echo });
  const supervisor = new ClusterSupervisor({
    servers: () => ({
      first,
      taken: new TcpServer({ port: (holder.address as { port: number }).port, handler: echo }),
    }),
  });
  const error = await supervisor.start().then(
    () => null,
    (err: unknown) => err,
  );
  assert.equal((error as { code?: string } | null)?.code, 'ERR_ADDRESS_IN_USE');
  assert.equal(failedServerKey(error), 'taken');
  assert.equal(failedServerKey(new Error('other')), undefined);
  assert.ok(first.closed, 'the server that had listened is closed again');
  await supervisor.closed;
});

test('options are checked at construction; the factory must give servers by key', async () => {
  assert.throws(() => new ClusterSupervisor({} as never), /servers/);
  assert.throws(
    () => new ClusterSupervisor({ processes: 2000, servers: () => ({}) }),
    /processes must be an integer from 1 to 1024/,
  );
  await assert.rejects(new ClusterSupervisor({ servers: () => ({}) }).start(), /by key/);
  await assert.rejects(
    new ClusterSupervisor({ servers: () => ({ x: {} as never }) }).start(),
    /no server/,
  );
});
