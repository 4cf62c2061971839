// The accept path of stream servers: the listen backlog option (checked, defaulted to
// somaxconn ≤ 4096, really passed to listen(2)), the per-connection ctx.signal (shared by
// groups of connections, aborted at shutdown, no MaxListenersExceededWarning), synchronous
// handlers, and the early-close bookkeeping of requests that wait.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  type ConnectionContext,
  type PeerAddress,
  TcpServer,
  UnixStreamServer,
} from '../../../src/server/index.js';
import { defaultBacklog } from '../../../src/socket/backlog.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import { kernelBacklog } from '../../helpers/kernel-backlog.js';
import { connect, LineClient, tempDir } from './helpers/clients.js';

/** The kernel's somaxconn, or null where /proc cannot tell. */
function somaxconn(): number | null {
  try {
    return Number.parseInt(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'), 10);
  } catch {
    return null;
  }
}

/** The kernel's backlog of a server's listening socket (see test/helpers/kernel-backlog.ts). */
function backlogOf(address: PeerAddress): number | null {
  return kernelBacklog(address.family === 'unix' ? { path: address.path } : { port: address.port });
}

function portOf(address: PeerAddress): number {
  assert.notEqual(address.family, 'unix');
  return (address as { port: number }).port;
}

describe('backlog', () => {
  test('is checked at construction: an integer from 1 to 2^31 - 1', () => {
    const handler = (): void => {};
    for (const backlog of [0, -1, 1.5, 2 ** 31, Number.NaN, '64' as unknown as number]) {
      assert.throws(() => new TcpServer({ backlog, handler }), {
        name: 'InvalidArgumentError',
        message: /backlog/,
      });
      assert.throws(
        () => new UnixStreamServer({ path: '/tmp/x.sock', backlog, handler }),
        /backlog/,
      );
    }
    assert.equal(new TcpServer({ backlog: 1, handler }).listenBacklog, 1);
    assert.equal(new TcpServer({ backlog: 2 ** 31 - 1, handler }).listenBacklog, 2 ** 31 - 1);
  });

  test('defaults to somaxconn, at most 4096 (Node alone would use 511)', () => {
    const cap = somaxconn();
    const expected = cap === null || !(cap > 0) ? 4096 : Math.min(cap, 4096);
    assert.equal(defaultBacklog(), expected);
    assert.equal(new TcpServer({ handler: () => {} }).listenBacklog, expected);
  });

  test('the default and a given value reach listen(2) (TCP and Unix)', async (t) => {
    const handler = (): void => {};
    const dflt = await new TcpServer({ port: 0, handler }).listen();
    t.after(() => dflt.destroy());
    const seen = backlogOf(dflt.address);
    if (seen === null) {
      t.skip('ss is not installed: cannot read the kernel backlog');
      return;
    }
    assert.equal(seen, Math.min(defaultBacklog(), somaxconn() ?? Number.POSITIVE_INFINITY));
    const small = await new TcpServer({ port: 0, backlog: 7, handler }).listen();
    t.after(() => small.destroy());
    assert.equal(backlogOf(small.address), 7);
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const unix = await new UnixStreamServer({
      path: join(dir, 's.sock'),
      backlog: 9,
      handler,
    }).listen();
    t.after(() => unix.destroy());
    assert.equal(backlogOf(unix.address), 9);
  });

  test('a server with a backlog of 1 still accepts and serves its clients', async (t) => {
    const server = await new TcpServer({
      port: 0,
      backlog: 1,
      handler: async (conn) => {
        for await (const chunk of conn) await conn.sendAll(chunk);
      },
    }).listen();
    void server.serveForever();
    t.after(() => server.destroy());
    assert.equal(backlogOf(server.address) ?? 1, 1);
    // One after another: a burst larger than a queue of 1 overflows it, and the kernel
    // makes the dropped clients retry after a second or more (what the default avoids).
    for (let i = 0; i < 10; i++) {
      const client = await LineClient.open(server.address);
      assert.equal(await client.roundTrip(`client ${i}\n`), `client ${i}\n`);
      client.close();
    }
    assert.ok(portOf(server.address) > 0);
  });
});

describe('ctx.signal', () => {
  test('every connection (more than one signal group) sees it abort at shutdown, warning-free', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const N = 75; // more than two groups of 32
    let started = 0;
    let allStarted: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const reasons: unknown[] = [];
    const signals = new Set<AbortSignal>();
    const server = await new TcpServer({
      port: 0,
      handler: async (_conn, ctx) => {
        signals.add(ctx.signal);
        assert.equal(ctx.signal, ctx.signal, 'the same signal on every read');
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener(
            'abort',
            () => {
              reasons.push(ctx.signal.reason);
              resolve();
            },
            { once: true },
          );
          if (++started === N) allStarted();
        });
      },
    }).listen();
    const serving = server.serveForever();
    const clients = await Promise.all(Array.from({ length: N }, () => connect(server.address)));
    t.after(() => clients.forEach((c) => c.destroy()));
    await ready;
    assert.ok(signals.size >= 3 && signals.size < N, `${signals.size} groups for ${N} connections`);
    assert.ok([...signals].every((s) => !s.aborted));
    await server.shutdown({ drainTimeout: 5 });
    await serving;
    assert.equal(reasons.length, N);
    assert.ok(reasons.every((r) => r instanceof Error && r.name === 'AbortError'));
    // Let a pending process 'warning' event fire (emitted on the next tick).
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
      [],
    );
  });

  test('read after shutdown began, it is already aborted', async (t) => {
    let ctxOf: ConnectionContext | null = null;
    let gotCtx: () => void = () => {};
    const have = new Promise<void>((resolve) => {
      gotCtx = resolve;
    });
    const server = await new TcpServer({
      port: 0,
      handler: async (conn, ctx) => {
        ctxOf = ctx;
        gotCtx();
        // Serve until the client goes: the signal is not looked at before shutdown.
        for await (const chunk of conn) await conn.sendAll(chunk);
      },
    }).listen();
    const serving = server.serveForever();
    const client = await LineClient.open(server.address);
    t.after(() => client.sock.destroy());
    await have;
    const stopping = server.shutdown({ drainTimeout: 5 });
    assert.equal((ctxOf as ConnectionContext | null)?.signal.aborted, true);
    client.sock.end();
    await stopping;
    await serving;
  });
});

describe('handlers', () => {
  test('a synchronous handler (no promise): the connection is closed once it returns', async (t) => {
    const closed: number[] = [];
    const server = await new TcpServer({
      port: 0,
      handler: (conn: Socket, ctx) => {
        conn.raw.write(`hello #${ctx.id}\n`);
        closed.push(ctx.id);
      },
    }).listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const client = await LineClient.open(server.address);
    const all = await client.readAll();
    assert.match(all, /^hello #\d+\n$/);
    assert.equal(closed.length, 1);
  });

  test('a handler that throws synchronously is reported, and the server keeps serving', async (t) => {
    const errors: unknown[] = [];
    let calls = 0;
    const server = await new TcpServer({
      port: 0,
      handler: (conn: Socket) => {
        if (++calls === 1) throw new Error('boom');
        conn.raw.write('ok\n');
      },
      handleError: (error) => {
        errors.push(error);
      },
    }).listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const first = await LineClient.open(server.address);
    assert.equal(await first.readAll(), '');
    const second = await LineClient.open(server.address);
    assert.equal(await second.readAll(), 'ok\n');
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).message, 'boom');
  });

  test('a client that leaves while verifyRequest decides frees its slot', async (t) => {
    let release: (ok: boolean) => void = () => {};
    let asked: () => void = () => {};
    const askedOnce = new Promise<void>((resolve) => {
      asked = resolve;
    });
    let first = true;
    const server = await new TcpServer({
      port: 0,
      maxConnections: 1,
      verifyRequest: () => {
        if (!first) return true;
        first = false;
        asked();
        return new Promise<boolean>((resolve) => {
          release = resolve;
        });
      },
      handler: async (conn) => {
        for await (const chunk of conn) await conn.sendAll(chunk);
      },
    }).listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const early: net.Socket = await connect(server.address);
    await askedOnce;
    assert.equal(server.connections, 1);
    early.resetAndDestroy(); // a reset: the server's socket closes (a FIN alone would not)
    // No channel reports a client that left before it was admitted: poll the count (bounded).
    for (let i = 0; i < 1000 && server.connections > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(server.connections, 0, 'the vanished client holds no slot');
    release(true);
    // The one slot is free: a new client is served, not refused.
    const next = await LineClient.open(server.address);
    next.write('again\n');
    assert.equal(await next.read(6), 'again\n');
    next.sock.end();
  });
});
