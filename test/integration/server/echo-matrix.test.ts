// The CPython-style matrix (test_socketserver.py): one echo handler served over every
// transport × every concurrency mode, on real sockets, with several clients at once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type BaseServer,
  type PeerAddress,
  TcpServer,
  UdpServer,
  UnixDatagramServer,
  UnixStreamServer,
} from '../../../src/server/index.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import {
  LineClient,
  spawnFixture,
  tempDir,
  udpRequest,
  unixDatagramRequest,
} from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);

async function streamEcho(conn: Socket): Promise<void> {
  for await (const chunk of conn) await conn.sendAll(chunk);
}

/** Three clients at once, each with three round trips on its own connection. */
async function checkStream(address: PeerAddress): Promise<void> {
  await Promise.all(
    [0, 1, 2].map(async (c) => {
      const client = await LineClient.open(address);
      try {
        for (let i = 0; i < 3; i++) {
          const msg = `client ${c} message ${i}\n`;
          assert.equal(await client.roundTrip(msg), msg);
        }
        client.close();
        assert.equal(await client.readAll(), '');
      } finally {
        client.destroy();
      }
    }),
  );
}

/** Three clients at once, three datagrams each; every datagram gets its own echo. */
async function checkDatagram(send: (data: string) => Promise<Buffer | null>): Promise<void> {
  await Promise.all(
    [0, 1, 2].map(async (c) => {
      for (let i = 0; i < 3; i++) {
        const msg = `client ${c} datagram ${i}`;
        assert.equal((await send(msg))?.toString(), msg);
      }
    }),
  );
  // An empty datagram is a real message (seed 001): it is echoed too.
  assert.equal((await send(''))?.length, 0);
}

let n = 0;
const modes = ['concurrent', 'serial'] as const;

for (const concurrency of modes) {
  describe(`in-process, ${concurrency}`, () => {
    test('tcp', async (t) => {
      const server = await new TcpServer({ port: 0, concurrency, handler: streamEcho }).listen();
      t.after(() => server.destroy());
      void server.serveForever();
      await checkStream(server.address);
    });

    test('unix stream', async (t) => {
      const path = join(tmp.dir, `s${n++}.sock`);
      const server = await new UnixStreamServer({
        path,
        concurrency,
        handler: streamEcho,
      }).listen();
      t.after(() => server.destroy());
      void server.serveForever();
      await checkStream(server.address);
    });

    test('udp', async (t) => {
      const server = await new UdpServer({
        port: 0,
        concurrency,
        handler: (packet, ctx) => ctx.reply(packet),
      }).listen();
      t.after(() => server.destroy());
      void server.serveForever();
      await checkDatagram((d) => udpRequest(server.address, d));
    });

    test('unix datagram', async (t) => {
      const path = join(tmp.dir, `d${n++}.sock`);
      const server: BaseServer = await new UnixDatagramServer({
        path,
        concurrency,
        handler: (packet, ctx) => ctx.reply(packet),
      }).listen();
      t.after(() => server.destroy());
      void server.serveForever();
      let k = 0;
      await checkDatagram((d) => unixDatagramRequest(path, join(tmp.dir, `c${n}-${k++}.sock`), d));
    });
  });
}

describe('processes: 2 (node:cluster workers sharing each socket)', () => {
  test('tcp, unix stream, udp and unix datagram from one script', async (t) => {
    const unixPath = join(tmp.dir, 'cluster.sock');
    const fx = spawnFixture(join(import.meta.dirname, 'fixtures/echo-servers.ts'), {
      UNIX_PATH: unixPath,
      PROCESSES: '2',
    });
    t.after(() => {
      if (fx.child.exitCode === null) fx.child.kill('SIGKILL');
    });
    const ready = await fx.waitFor((e) => e.event === 'ready');
    assert.equal((ready.pids as number[]).length, 2);
    await checkStream(ready.tcp as PeerAddress);
    await checkStream(ready.unix as PeerAddress);
    await checkDatagram((d) => udpRequest(ready.udp as PeerAddress, d));
    const dgramPath = (ready.unixDgram as { path: string }).path;
    let k = 0;
    await checkDatagram((d) => unixDatagramRequest(dgramPath, join(tmp.dir, `cc${k++}.sock`), d));
    // The primary relays Unix datagrams round-robin: both workers answer.
    const pids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const reply = await unixDatagramRequest(dgramPath, join(tmp.dir, `p${i}.sock`), 'pid?');
      pids.add(String(reply));
    }
    assert.deepEqual([...pids].sort(), (ready.pids as number[]).map(String).sort());
    fx.child.kill('SIGTERM');
    assert.equal(await fx.exited, 0, fx.stderr());
    assert.ok(fx.events.some((e) => e.event === 'closed'));
    const exits = fx.events.filter((e) => e.event === 'worker' && e.kind === 'exit');
    assert.equal(exits.length, 2, 'both workers exit on shutdown');
  });
});
