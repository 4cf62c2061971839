// ClusterSupervisor, processes: N — a worker killed under load is replaced, and shutdown
// stops them all.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type PeerAddress, TcpServer } from '../../../src/server/index.js';
import { deferred, within } from '../../helpers/wait.js';
import { LineClient, spawnFixture, tempDir } from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);

/** Asks the server which process serves this connection. */
async function whoServes(address: PeerAddress): Promise<number | null> {
  try {
    const c = await LineClient.open(address);
    c.sock.end('pid?\n'); // the echo handler answers, sees EOF and closes
    const pid = Number.parseInt(await c.readAll(5000), 10);
    c.destroy();
    return Number.isNaN(pid) ? null : pid;
  } catch {
    return null; // a connection the killed worker held: expected during the kill
  }
}

test('a worker killed under load is replaced; shutdown stops every worker', async (t) => {
  const fx = spawnFixture(join(import.meta.dirname, 'fixtures/echo-servers.ts'), {
    UNIX_PATH: join(tmp.dir, 'w.sock'),
    PROCESSES: '2',
  });
  t.after(() => {
    if (fx.child.exitCode === null) fx.child.kill('SIGKILL');
  });
  const ready = await fx.waitFor((e) => e.event === 'ready');
  const address = ready.tcp as PeerAddress;
  const [victim, survivor] = ready.pids as number[];

  // Load: a bounded stream of short connections while the worker is killed.
  let stop = false;
  const warmedUp = deferred();
  const load = (async () => {
    let ok = 0;
    for (let i = 0; i < 2000 && !stop; i++) {
      if ((await whoServes(address)) !== null && ++ok === 3) warmedUp.resolve();
    }
    warmedUp.resolve();
    return ok;
  })();
  await within(warmedUp.promise, 'the load being served');
  process.kill(victim!, 'SIGKILL');
  await fx.waitFor((e) => e.event === 'worker' && e.kind === 'exit' && e.pid === victim);
  const forked = await fx.waitFor(
    (e) => e.event === 'worker' && e.kind === 'fork' && e.pid !== victim && e.pid !== survivor,
  );
  await fx.waitFor((e) => e.event === 'worker' && e.kind === 'listening' && e.pid === forked.pid);
  stop = true;
  assert.ok((await load) > 0, 'clients were served during the kill');

  // The replacement serves: the kernel/round-robin hands it connections.
  const seen = new Set<number>();
  for (let i = 0; i < 50 && !seen.has(forked.pid as number); i++) {
    const pid = await whoServes(address);
    if (pid !== null) seen.add(pid);
  }
  assert.ok(seen.has(forked.pid as number), `the new worker serves (saw ${[...seen]})`);
  assert.ok(!seen.has(victim!));

  fx.child.kill('SIGTERM');
  assert.equal(await fx.exited, 0, fx.stderr());
  for (const pid of [survivor!, forked.pid as number]) {
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`);
  }
});

test("a port in use fails the primary's listen() with AddressInUseError; no worker is left", async (t) => {
  const holder = await new TcpServer({ port: 0, handler: () => {} }).listen();
  t.after(() => holder.destroy());
  const fx = spawnFixture(join(import.meta.dirname, 'fixtures/echo-servers.ts'), {
    UNIX_PATH: join(tmp.dir, 'taken.sock'),
    PROCESSES: '2',
    TCP_PORT: String((holder.address as { port: number }).port),
  });
  t.after(() => {
    if (fx.child.exitCode === null) fx.child.kill('SIGKILL');
  });
  const failed = await fx.waitFor((e) => e.event === 'error');
  assert.equal(failed.name, 'AddressInUseError');
  assert.equal(failed.code, 'ERR_ADDRESS_IN_USE');
  assert.equal(failed.key, 'tcp', 'the error names the server that wanted the port');
  assert.equal(await fx.exited, 1);
  const forks = fx.events.filter((e) => e.event === 'worker' && e.kind === 'fork');
  for (const f of forks) {
    assert.throws(() => process.kill(f.pid as number, 0), { code: 'ESRCH' });
  }
});
