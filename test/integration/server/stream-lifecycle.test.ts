// Life cycle and limits of stream servers on real loopback sockets: graceful shutdown,
// maxConnections, idleTimeout, allow/deny, error isolation, handleRequest, restart (S15).
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { describe, test } from 'node:test';
import {
  type CloseMessage,
  type ConnectionContext,
  type RefusedMessage,
  StreamRequestHandler,
  TcpServer,
} from '../../../src/server/index.js';
import { BUSY_LINE } from '../../../src/server/stream-server.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import { waitForChannel, watchChannel } from '../../helpers/wait.js';
import { connect, LineClient } from './helpers/clients.js';

/** Subscribes to a channel for the duration of a test. */
function collect<T>(t: { after: (fn: () => void) => void }, name: string): T[] {
  const seen: T[] = [];
  const fn = (m: unknown): void => {
    seen.push(m as T);
  };
  diagnostics.subscribe(name, fn);
  t.after(() => diagnostics.unsubscribe(name, fn));
  return seen;
}

async function echo(conn: Socket): Promise<void> {
  for await (const chunk of conn) await conn.sendAll(chunk);
}

describe('byte counts', () => {
  test('openConnectionBytes() counts open connections as they go; close hands over to the channel', async (t) => {
    const closes = watchChannel<CloseMessage>(t, 'socketkit:server:close');
    const server = await new TcpServer({ port: 0, handler: echo }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.deepEqual(server.openConnectionBytes(), { read: 0, written: 0 });
    const a = await LineClient.open(server.address);
    const b = await LineClient.open(server.address);
    a.write('x'.repeat(1000));
    assert.equal(await a.read(1000), 'x'.repeat(1000));
    b.write('yy');
    assert.equal(await b.read(2), 'yy');
    // Both still open: their bytes are there before either closes.
    assert.deepEqual(server.openConnectionBytes(), { read: 1002, written: 1002 });
    const mine = (all: CloseMessage[]): CloseMessage[] => all.filter((m) => m.server === server);
    a.close();
    const [closed] = mine(await closes.waitFor((all) => mine(all).length >= 1));
    assert.equal(closed?.bytesRead, 1000);
    // The closed one left the open count: nothing is counted twice.
    assert.deepEqual(server.openConnectionBytes(), { read: 2, written: 2 });
    b.close();
    await closes.waitFor((all) => mine(all).length >= 2);
    assert.deepEqual(server.openConnectionBytes(), { read: 0, written: 0 });
  });
});

describe('graceful shutdown', () => {
  test('clients mid-request get their whole reply; new clients are refused', async () => {
    let received = 0;
    let inShutdown: () => void = () => {};
    const shuttingDown = new Promise<void>((resolve) => {
      inShutdown = resolve;
    });
    let allReceived: () => void = () => {};
    const three = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    class Slow extends StreamRequestHandler {
      override async handle(): Promise<void> {
        const line = await this.readLine();
        if (++received === 3) allReceived();
        await shuttingDown; // the request is "being processed" when shutdown starts
        await this.write(`${line} `.repeat(20_000)); // a long reply: must not be cut short
        await this.writeLine('END');
      }
    }
    const server = await new TcpServer({ port: 0, handler: Slow }).listen();
    const serving = server.serveForever();
    const clients = await Promise.all([1, 2, 3].map(() => LineClient.open(server.address)));
    clients.forEach((c, i) => {
      c.write(`req${i}\n`);
    });
    await three;
    const stopping = server.shutdown({ drainTimeout: 10 });
    inShutdown(); // shutdown has begun: let the handlers write their replies
    const replies = await Promise.all(clients.map((c) => c.readAll()));
    replies.forEach((r, i) => {
      assert.equal(r, `req${i} `.repeat(20_000) + 'END\r\n');
    });
    await stopping;
    // The listening socket closed once the connections the kernel had queued were
    // accepted (see graceful-shutdown-serves-the-accept-queue): new clients are refused.
    await assert.rejects(connect(server.address), { code: 'ECONNREFUSED' });
    await serving; // serveForever resolves after shutdown
    assert.equal(server.connections, 0);
    assert.equal(server.closed, true);
  });

  test('lingering close: a reply is not cut short by a client that is still sending', async (t) => {
    const reply = 'r'.repeat(256 * 1024);
    const server = await new TcpServer({
      port: 0,
      handler: async (conn) => {
        await conn.recv(1); // one byte is all it needs; the client keeps sending
        await conn.sendAll(reply);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const client = await LineClient.open(server.address);
    // 4 MiB the server never reads: closing with it unread would make the kernel send RST.
    const chunk = 'u'.repeat(64 * 1024);
    for (let i = 0; i < 64; i++) client.write(chunk);
    const got = await client.read(reply.length, 20_000);
    assert.equal(got.length, reply.length);
    assert.equal(client.error, null);
    client.destroy();
  });

  test('handlers still running after drainTimeout are destroyed', async () => {
    const server = await new TcpServer({
      port: 0,
      handler: async (conn) => {
        await conn.recv(1); // never satisfied: the client sends nothing
      },
    }).listen();
    void server.serveForever();
    const accepted = waitForChannel('socketkit:server:connection');
    const client = await LineClient.open(server.address);
    await accepted; // its handler runs
    await server.shutdown({ drainTimeout: 0.2 });
    await client.readAll();
    assert.equal(client.ended, true);
  });

  test('ctx.signal aborts at shutdown and readLine() then ends the loop cleanly', async () => {
    let finished = false;
    class Loop extends StreamRequestHandler {
      override async handle(): Promise<void> {
        for await (const line of this.lines()) await this.writeLine(line);
        finished = this.ctx.signal.aborted;
      }
    }
    const server = await new TcpServer({ port: 0, handler: Loop }).listen();
    void server.serveForever();
    const client = await LineClient.open(server.address);
    assert.equal(await client.roundTrip('hi\r\n'), 'hi\r\n');
    await server.shutdown({ drainTimeout: 10 });
    assert.equal(finished, true);
    assert.equal(await client.readAll(), '');
  });

  test('close() is graceful (the same as shutdown()): a reply in progress is finished', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started = waitForChannel('socketkit:server:connection');
    const server = await new TcpServer({
      port: 0,
      handler: async (conn) => {
        await conn.recvUntil('\n');
        await released; // mid-request when close() begins
        await conn.sendAll('x'.repeat(100_000) + 'END\n');
      },
    }).listen();
    void server.serveForever();
    const client = await LineClient.open(server.address);
    client.write('go\n');
    await started;
    const closing = server.close();
    release();
    const reply = await client.readAll();
    assert.equal(reply, 'x'.repeat(100_000) + 'END\n');
    await closing;
    assert.equal(server.closed, true);
  });

  test('destroy() is abrupt: open connections are reset at once, handlers see their reads fail', async () => {
    let readFailed: unknown = null;
    const accepted = waitForChannel('socketkit:server:connection');
    const server = await new TcpServer({
      port: 0,
      drainTimeout: 60, // a graceful stop would wait a minute for this handler
      handler: async (conn) => {
        try {
          await conn.recv(1); // the client sends nothing
        } catch (err) {
          readFailed = err;
        }
      },
    }).listen();
    void server.serveForever();
    const client = await LineClient.open(server.address);
    await accepted;
    await server.destroy();
    assert.equal(server.closed, true);
    await client.readAll();
    assert.equal(client.ended, true);
    assert.ok(readFailed instanceof Error, 'the handler read was cut');
  });

  test('destroy() cuts short a graceful close() in progress', async () => {
    const accepted = waitForChannel('socketkit:server:connection');
    const server = await new TcpServer({
      port: 0,
      drainTimeout: 60,
      handler: async (conn) => {
        await conn.recv(1).catch(() => {});
      },
    }).listen();
    void server.serveForever();
    const client = await LineClient.open(server.address);
    await accepted;
    const closing = server.close(); // would wait up to 60 s
    await server.destroy();
    await closing;
    await client.readAll();
    assert.equal(server.closed, true);
  });

  test('a handler passes ctx.signal on: its recv ends at shutdown with the signal reason, taking nothing', async () => {
    let outcome: unknown = 'still waiting';
    const accepted = waitForChannel('socketkit:server:connection');
    const server = await new TcpServer({
      port: 0,
      handler: async (conn, ctx) => {
        try {
          await conn.recvExactly(4, { signal: ctx.signal });
          outcome = 'read';
        } catch (err) {
          outcome = err === ctx.signal.reason ? 'aborted' : err;
          await conn.sendAll('bye\n');
        }
      },
    }).listen();
    void server.serveForever();
    const client = await LineClient.open(server.address);
    await accepted;
    await server.close();
    assert.equal(outcome, 'aborted');
    assert.equal(await client.readAll(), 'bye\n');
  });

  test('await using shuts the server down at scope exit', async () => {
    let address: net.AddressInfo | string | null;
    {
      await using server = await new TcpServer({ port: 0, handler: echo }).listen();
      address = server.raw!.address();
    }
    assert.ok(address !== null && typeof address === 'object');
    await assert.rejects(connect({ family: 'IPv4', address: '127.0.0.1', port: address.port }), {
      code: 'ECONNREFUSED',
    });
  });
});

describe('limits', () => {
  test('maxConnections: the next client gets a one-line refusal and is closed', async (t) => {
    const refused = collect<RefusedMessage>(t, 'socketkit:server:refused');
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = await new TcpServer({
      port: 0,
      maxConnections: 2,
      handler: async (conn) => {
        await conn.sendAll('hello\n');
        await hold;
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const a = await LineClient.open(server.address);
    const b = await LineClient.open(server.address);
    assert.equal(await a.read(6), 'hello\n');
    assert.equal(await b.read(6), 'hello\n');
    const c = await LineClient.open(server.address);
    assert.equal(await c.readAll(), BUSY_LINE);
    assert.equal(refused.at(-1)?.reason, 'maxConnections');
    const closes = watchChannel<CloseMessage>(t, 'socketkit:server:close');
    release();
    await a.readAll();
    await b.readAll();
    await closes.count(2); // both handlers settled: their slots are free
    // Slots free again: a new client is served.
    const d = await LineClient.open(server.address);
    assert.equal(await d.read(6), 'hello\n');
    d.destroy();
  });

  test('idleTimeout closes a silent connection, not an active one', async (t) => {
    const closes = collect<CloseMessage>(t, 'socketkit:server:close');
    const server = await new TcpServer({ port: 0, idleTimeout: 2, handler: echo }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const active = await LineClient.open(server.address);
    const silent = await LineClient.open(server.address);
    const silentClosed = silent.readAll(30_000);
    // Keep talking, back to back (no pauses a loaded machine could stretch past the
    // timeout), until the silent one was closed (bounded: 100,000 round trips).
    for (let i = 0; i < 100_000 && !silent.ended; i++)
      assert.equal(await active.roundTrip(`${i % 10}`), `${i % 10}`);
    assert.equal(await silentClosed, '');
    assert.equal(active.ended, false);
    await active.readAll(); // now silent, it is closed too
    assert.equal(closes.length, 2);
    assert.ok(closes.every((c) => c.error?.name === 'SocketTimeoutError'));
  });

  test('serial mode serves one client at a time', async (t) => {
    const server = await new TcpServer({ port: 0, concurrency: 'serial', handler: echo }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const first = await LineClient.open(server.address);
    const second = await LineClient.open(server.address);
    const connections = watchChannel(t, 'socketkit:server:connection');
    assert.equal(await first.roundTrip('one'), 'one');
    second.write('two');
    // A second round trip through the server after `two` was sent: a concurrent server would
    // have taken the second connection by now; the serial one has not.
    assert.equal(await first.roundTrip('one'), 'one');
    assert.equal(connections.messages.length, 0, 'the second client is not handled yet');
    assert.equal(await second.read(3, 0).catch(() => 'waiting'), 'waiting');
    first.close(); // the first client hangs up: the second one is served
    assert.equal(await second.read(3), 'two');
    second.destroy();
  });
});

describe('access control', () => {
  test('deny refuses a client before any byte is exchanged', async (t) => {
    const refused = collect<RefusedMessage>(t, 'socketkit:server:refused');
    const server = await new TcpServer({ port: 0, deny: ['127.0.0.0/8'], handler: echo }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const client = await LineClient.open(server.address);
    client.write('anyone?');
    assert.equal(await client.readAll(), '');
    assert.equal(refused[0]?.reason, 'deny');
  });

  test('allow lets listed networks in and no one else', async (t) => {
    const inside = await new TcpServer({
      port: 0,
      allow: ['127.0.0.1/32', '::1'],
      handler: echo,
    }).listen();
    const outside = await new TcpServer({ port: 0, allow: ['10.0.0.0/8'], handler: echo }).listen();
    t.after(() => Promise.all([inside.destroy(), outside.destroy()]));
    void inside.serveForever();
    void outside.serveForever();
    const a = await LineClient.open(inside.address);
    assert.equal(await a.roundTrip('in'), 'in');
    a.destroy();
    const b = await LineClient.open(outside.address);
    b.write('in?');
    assert.equal(await b.readAll(), '');
  });

  test('dual stack: an IPv4 client of a "::" server matches IPv4 rules', async (t) => {
    const remotes: string[] = [];
    let server: TcpServer;
    try {
      server = await new TcpServer({
        host: '::',
        port: 0,
        allow: ['127.0.0.1'],
        handler: async (conn, ctx) => {
          if (ctx.remote.family !== 'unix') remotes.push(ctx.remote.address);
          await echo(conn);
        },
      }).listen();
    } catch {
      t.skip('no IPv6 on this machine');
      return;
    }
    t.after(() => server.destroy());
    void server.serveForever();
    const { port } = server.address as { port: number };
    const c = await LineClient.open({ family: 'IPv4', address: '127.0.0.1', port });
    assert.equal(await c.roundTrip('v4 in'), 'v4 in');
    c.destroy();
    assert.deepEqual(remotes, ['::ffff:127.0.0.1']);
  });

  test('verifyRequest hook (subclass) can refuse', async (t) => {
    class Picky extends TcpServer {
      seen = 0;
      override verifyRequest(): boolean {
        return ++this.seen % 2 === 0; // every other client
      }
    }
    const server = await new Picky({ port: 0, handler: echo }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const first = await LineClient.open(server.address);
    assert.equal(await first.readAll(), '');
    const second = await LineClient.open(server.address);
    assert.equal(await second.roundTrip('ok'), 'ok');
    second.destroy();
  });

  test('bad CIDR entries are rejected at construction', () => {
    assert.throws(() => new TcpServer({ allow: ['10.0.0.0/33'], handler: echo }), {
      name: 'InvalidArgumentError',
    });
    assert.throws(() => new TcpServer({ deny: ['not-an-ip'], handler: echo }), {
      name: 'InvalidArgumentError',
    });
  });
});

describe('errors', () => {
  test('a throwing handler affects neither the server nor other clients', async (t) => {
    const errors: unknown[] = [];
    const server = await new TcpServer({
      port: 0,
      handler: async (conn) => {
        const data = await conn.recv(100);
        if (data.toString() === 'boom') throw new Error('handler failed');
        await conn.sendAll(data);
      },
      handleError: (error) => {
        errors.push(error);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const good = await LineClient.open(server.address);
    const bad = await LineClient.open(server.address);
    bad.write('boom');
    assert.equal(await bad.readAll(), '');
    assert.equal(await good.roundTrip('fine'), 'fine');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handler failed/);
    const later = await LineClient.open(server.address);
    assert.equal(await later.roundTrip('still serving'), 'still serving');
    later.destroy();
  });

  test('the default handleError publishes on socketkit:server:error', async (t) => {
    const published = collect<{ error: unknown; phase: string }>(t, 'socketkit:server:error');
    const server = await new TcpServer({
      port: 0,
      handler: () => {
        throw new Error('oops');
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const c = await LineClient.open(server.address);
    await c.readAll();
    assert.equal(published.length, 1);
    assert.equal(published[0]?.phase, 'handler');
  });

  test('an abrupt client disconnect is normal: no handleError, the server keeps serving', async (t) => {
    const errors: unknown[] = [];
    const closes = collect<CloseMessage>(t, 'socketkit:server:close');
    const server = await new TcpServer({
      port: 0,
      handler: async (conn) => {
        await conn.recvExactly(1000); // the client resets half-way
      },
      handleError: (e) => {
        errors.push(e);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const closed = watchChannel<CloseMessage>(t, 'socketkit:server:close');
    for (let i = 0; i < 5; i++) {
      const accepted = waitForChannel('socketkit:server:connection');
      const sock = await connect(server.address);
      sock.write('x'.repeat(10));
      await accepted; // the handler is reading when the client resets
      sock.resetAndDestroy();
    }
    const half = await connect(server.address);
    half.end('partial'); // EOF mid-read
    await closed.count(6);
    assert.equal(closes.length, 6);
    assert.deepEqual(errors, []);
    const c = await connect(server.address);
    c.destroy();
  });
});

describe('handleRequest()', () => {
  test('waits `timeout` seconds, then calls handleTimeout()', async (t) => {
    let timeouts = 0;
    const server = await new TcpServer({
      port: 0,
      timeout: 0.1,
      handler: echo,
      handleTimeout: () => {
        timeouts++;
      },
    }).listen();
    t.after(() => server.destroy());
    await server.handleRequest();
    assert.equal(timeouts, 1);
  });

  test('serves exactly one request per call (the rest wait)', async (t) => {
    const served: number[] = [];
    const server = new TcpServer({
      port: 0,
      timeout: 10,
      handler: async (conn, ctx: ConnectionContext) => {
        served.push(ctx.id);
        await conn.sendAll('thanks\n');
      },
    });
    t.after(() => server.destroy());
    await server.listen();
    // a's connection is established (in the kernel's FIFO accept queue) before b connects.
    const a = await LineClient.open(server.address);
    const b = await LineClient.open(server.address);
    await server.handleRequest();
    assert.equal(served.length, 1);
    assert.equal(await a.readAll(), 'thanks\n');
    assert.equal(b.ended, false, 'the second client waits for the next handleRequest()');
    await server.handleRequest();
    assert.equal(served.length, 2);
    assert.equal(await b.readAll(), 'thanks\n');
  });
});

describe('restart on the same port (S15)', () => {
  test('a server restarted right after serving clients binds the port again at once', async () => {
    const thanks = async (conn: Socket): Promise<void> => {
      await conn.sendAll('Thank you for connecting');
    };
    const first = await new TcpServer({ port: 0, handler: thanks }).listen();
    void first.serveForever();
    const { port } = first.address as { port: number };
    // The server closes first, so its side of each connection lingers in TIME_WAIT.
    for (let i = 0; i < 3; i++) {
      const c = await LineClient.open(first.address);
      assert.equal(await c.readAll(), 'Thank you for connecting');
    }
    await first.shutdown();
    // libuv sets SO_REUSEADDR on listening sockets: no "Address already in use".
    const second = await new TcpServer({ port, handler: thanks }).listen();
    void second.serveForever();
    const c = await LineClient.open(second.address);
    assert.equal(await c.readAll(), 'Thank you for connecting');
    await second.shutdown();
  });

  test('a port held by a live server is a clear AddressInUseError', async (t) => {
    const holder = await new TcpServer({ port: 0, handler: echo }).listen();
    t.after(() => holder.destroy());
    const { port } = holder.address as { port: number };
    await assert.rejects(new TcpServer({ port, handler: echo }).listen(), {
      name: 'AddressInUseError',
      code: 'ERR_ADDRESS_IN_USE',
      port,
    });
  });
});
