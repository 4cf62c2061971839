// The datagram servers' synchronous path: handlers that return no promise, ctx.send(),
// errors thrown synchronously, shutdown with handlers still running, the concurrency
// modes and maxQueue, class handlers with synchronous hooks, verifyRequest, channels.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import diagnostics from 'node:diagnostics_channel';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  type DatagramHandledMessage,
  type DatagramMessage,
  DatagramRequestHandler,
  type ErrorContext,
  type PeerAddress,
  type RefusedMessage,
  UdpServer,
  UnixDatagramServer,
} from '../../../src/server/index.js';
import { deferred, recorder, until, watchChannel } from '../../helpers/wait.js';
import { tempDir, udpRequest, unixDatagramRequest } from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);

/** Sends every payload from one socket at once; resolves with the replies once `expected` came. */
async function udpBurst(
  address: PeerAddress,
  payloads: string[],
  expected = payloads.length,
): Promise<string[]> {
  if (address.family === 'unix') throw new Error('udpBurst needs an IP address');
  const sock = dgram.createSocket('udp4');
  const replies: string[] = [];
  sock.on('message', (msg) => replies.push(msg.toString()));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  try {
    for (const p of payloads) sock.send(p, address.port, address.address);
    await until(() => replies.length >= expected, sock, 'message', {
      what: `${expected} replies (got ${JSON.stringify(replies)})`,
    });
    return replies;
  } finally {
    sock.close();
  }
}

/** Subscribes to a server channel for the test's duration. */
function collect<T>(name: string, t: { after: (fn: () => void) => void }): T[] {
  const seen: T[] = [];
  const onMessage = (m: unknown): void => {
    seen.push(m as T);
  };
  diagnostics.subscribe(name, onMessage);
  t.after(() => diagnostics.unsubscribe(name, onMessage));
  return seen;
}

describe('UdpServer, synchronous handlers', () => {
  test('a handler that returns no promise answers with ctx.send(), and holds nothing after', async (t) => {
    let runningInside = -1;
    const server = await new UdpServer({
      port: 0,
      handler: (packet, ctx) => {
        runningInside = server.connections;
        ctx.send(packet);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'sync'))?.toString(), 'sync');
    assert.equal(runningInside, 1, 'counted while it runs');
    assert.equal(server.connections, 0, 'and not after');
    assert.equal((await udpRequest(server.address, ''))?.toString(), '', 'empty datagrams too');
  });

  test('a synchronous throw goes to handleError with the datagram; serving goes on', async (t) => {
    const errors: Array<{ error: unknown; ctx: ErrorContext }> = [];
    const server = await new UdpServer({
      port: 0,
      handler: (packet, ctx) => {
        if (packet.toString() === 'boom') throw new Error('sync boom');
        ctx.send(packet);
      },
      handleError: (error, ctx) => {
        errors.push({ error, ctx });
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal(await udpRequest(server.address, 'boom', 300), null);
    assert.equal((await udpRequest(server.address, 'fine'))?.toString(), 'fine');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.error), /sync boom/);
    assert.equal(errors[0]?.ctx.phase, 'handler');
    assert.equal(typeof errors[0]?.ctx.id, 'number');
    assert.equal(errors[0]?.ctx.remote?.family, 'IPv4');
    assert.equal(server.connections, 0);
  });

  test('a failed ctx.send() reaches handleError (phase reply); a failed ctx.reply() rejects', async (t) => {
    const errors = recorder<{ error: unknown; ctx: ErrorContext }>();
    const rejected: unknown[] = [];
    const tooBig = Buffer.alloc(70_000); // over the 65,507-byte UDP payload: EMSGSIZE
    const server = await new UdpServer({
      port: 0,
      handler: async (packet, ctx) => {
        if (packet.toString() === 'send') {
          ctx.send(tooBig);
          ctx.send('sent anyway');
          return;
        }
        await ctx.reply(tooBig).catch((e: unknown) => rejected.push(e));
        await ctx.reply('replied anyway');
      },
      handleError: (error, ctx) => {
        errors.push({ error, ctx });
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'send'))?.toString(), 'sent anyway');
    await errors.waitFor();
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.ctx.phase, 'reply');
    assert.equal((errors[0]?.error as { errno?: string }).errno, 'EMSGSIZE');
    assert.equal(errors[0]?.ctx.remote?.family, 'IPv4');
    assert.equal((await udpRequest(server.address, 'reply'))?.toString(), 'replied anyway');
    assert.equal(rejected.length, 1);
    assert.equal((rejected[0] as { errno?: string }).errno, 'EMSGSIZE');
    assert.equal(errors.length, 1, 'a rejected reply() is the handler’s to handle');
  });

  test('shutdown waits for handlers still running, then stops receiving', async () => {
    const started = recorder<string>();
    const finish = deferred();
    const server = await new UdpServer({
      port: 0,
      handler: async (packet, ctx) => {
        started.push(packet.toString());
        await finish.promise;
        await ctx.reply(packet);
      },
    }).listen();
    void server.serveForever();
    const replies = Promise.all(['a', 'b', 'c'].map((p) => udpRequest(server.address, p)));
    await started.waitFor((all) => all.length === 3);
    assert.equal(server.connections, 3);
    let stopped = false;
    const stopping = server.shutdown().then(() => {
      stopped = true;
    });
    // Shutdown has begun (the socket is closing) but waits for the three handlers.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, 'shutdown waits for the handlers');
    finish.resolve();
    await stopping;
    assert.deepEqual(
      (await replies).map((r) => r?.toString()),
      ['a', 'b', 'c'],
    );
    assert.equal(server.connections, 0);
    assert.equal(server.closed, true);
  });

  test('a handler waiting for ctx.signal is told of shutdown and may still answer', async () => {
    const waiting = deferred();
    const server = await new UdpServer({
      port: 0,
      handler: async (_packet, ctx) => {
        waiting.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        ctx.send('bye');
      },
    }).listen();
    void server.serveForever();
    const reply = udpRequest(server.address, 'hold');
    await waiting.promise;
    assert.equal(server.connections, 1);
    await server.shutdown({ drainTimeout: 5 });
    assert.equal((await reply)?.toString(), 'bye');
    assert.equal(server.connections, 0);
  });

  test('shutdown right after a burst of synchronous handlers has nothing to wait for', async () => {
    const server = await new UdpServer({ port: 0, handler: (p, ctx) => ctx.send(p) }).listen();
    void server.serveForever();
    const replies = await udpBurst(server.address, ['1', '2', '3', '4']);
    assert.deepEqual(replies.sort(), ['1', '2', '3', '4']);
    assert.equal(server.connections, 0, 'no handler left to wait for');
    await server.shutdown({ drainTimeout: 5 });
  });

  test('serial: one handler at a time in arrival order; past maxQueue datagrams are dropped', async (t) => {
    const refused = recorder<RefusedMessage>();
    const self: { server?: UdpServer } = {};
    const onRefused = (m: unknown): void => {
      if ((m as RefusedMessage).server === self.server) refused.push(m as RefusedMessage);
    };
    diagnostics.subscribe('socketkit:server:refused', onRefused);
    t.after(() => diagnostics.unsubscribe('socketkit:server:refused', onRefused));
    // The first handler holds until the two datagrams past the queue were dropped.
    const twoDropped = refused.waitFor((all) => all.length === 2);
    let running = 0;
    let peak = 0;
    const server = await new UdpServer({
      port: 0,
      concurrency: 'serial',
      maxQueue: 2,
      handler: async (packet, ctx) => {
        running++;
        peak = Math.max(peak, running);
        await twoDropped;
        running--;
        ctx.send(packet);
      },
    }).listen();
    self.server = server;
    t.after(() => server.destroy());
    void server.serveForever();
    // One runs, two wait, two are dropped.
    const replies = await udpBurst(server.address, ['1', '2', '3', '4', '5'], 3);
    assert.deepEqual(replies, ['1', '2', '3']);
    assert.equal(peak, 1);
    const mine = refused.filter((m) => m.server === server);
    assert.deepEqual(
      mine.map((m) => m.reason),
      ['queueFull', 'queueFull'],
    );
  });

  test('concurrency: n caps the running handlers; later datagrams wait their turn, in order', async (t) => {
    const two = deferred();
    let running = 0;
    let peak = 0;
    const server = await new UdpServer({
      port: 0,
      concurrency: 2,
      handler: (packet, ctx) => {
        if (packet.toString().startsWith('sync')) {
          ctx.send(packet);
          return;
        }
        running++;
        peak = Math.max(peak, running);
        // Hold until two run at once (a third would raise the peak meanwhile).
        if (running === 2) two.resolve();
        return two.promise.then(() => {
          running--;
          ctx.send(packet);
        });
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const payloads = ['a1', 'a2', 'a3', 'a4', 'a5', 'sync1', 'sync2'];
    const replies = await udpBurst(server.address, payloads);
    assert.deepEqual([...replies].sort(), [...payloads].sort());
    assert.equal(peak, 2);
    // The synchronous ones waited behind the async ones, in arrival order.
    assert.ok(replies.indexOf('sync1') < replies.indexOf('sync2'));
    assert.equal(server.connections, 0);
  });

  test('a DatagramRequestHandler with synchronous hooks: setup, handle, finish; a throw still finishes', async (t) => {
    const log: string[] = [];
    const errors: unknown[] = [];
    class Sync extends DatagramRequestHandler {
      override setup(): void {
        log.push(`setup ${this.packet.toString()}`);
      }
      override handle(): void {
        if (this.packet.toString() === 'boom') throw new Error('handle threw');
        this.ctx.send(this.packet.toString().toUpperCase());
      }
      override finish(): void {
        log.push(`finish ${this.packet.toString()}`);
      }
    }
    const server = await new UdpServer({
      port: 0,
      handler: Sync,
      handleError: (e) => {
        errors.push(e);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'hi'))?.toString(), 'HI');
    assert.equal(await udpRequest(server.address, 'boom', 300), null);
    assert.deepEqual(log, ['setup hi', 'finish hi', 'setup boom', 'finish boom']);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /handle threw/);
  });

  test('a class whose finish() is async is waited for', async (t) => {
    const log: string[] = [];
    class AsyncFinish extends DatagramRequestHandler {
      override handle(): void {
        log.push('handle');
      }
      override async finish(): Promise<void> {
        await new Promise((resolve) => setImmediate(resolve)); // really asynchronous
        log.push('finish');
        await this.reply('done');
      }
    }
    const server = await new UdpServer({ port: 0, handler: AsyncFinish }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'x'))?.toString(), 'done');
    assert.deepEqual(log, ['handle', 'finish']);
  });

  test('verifyRequest: false refuses (channel refused, deny); an async true admits', async (t) => {
    const refused = collect<RefusedMessage>('socketkit:server:refused', t);
    const no = await new UdpServer({
      port: 0,
      verifyRequest: () => false,
      handler: (p, ctx) => ctx.send(p),
    }).listen();
    const yes = await new UdpServer({
      port: 0,
      verifyRequest: async () => true,
      handler: (p, ctx) => ctx.send(p),
    }).listen();
    t.after(() => Promise.all([no.destroy(), yes.destroy()]));
    void no.serveForever();
    void yes.serveForever();
    assert.equal(await udpRequest(no.address, 'x', 300), null);
    assert.equal((await udpRequest(yes.address, 'y'))?.toString(), 'y');
    assert.deepEqual(
      refused.filter((m) => m.server === no).map((m) => m.reason),
      ['deny'],
    );
  });

  test('the datagram channel carries the documented fields; maxPacketSize cuts for ctx.send too', async (t) => {
    const seen = collect<DatagramMessage>('socketkit:server:datagram', t);
    const server = await new UdpServer({
      port: 0,
      maxPacketSize: 4,
      handler: (packet, ctx) => {
        ctx.send(`${packet.toString()}${ctx.truncated ? '+' : ''} ${ctx.transport}`);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'abcdef'))?.toString(), 'abcd+ udp');
    const mine = seen.filter((m) => m.server === server);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.bytes, 6);
    assert.equal(mine[0]?.truncated, true);
    assert.equal(mine[0]?.transport, 'udp');
    assert.equal(typeof mine[0]?.id, 'number');
    assert.equal(mine[0]?.remote.family, 'IPv4');
  });

  test('datagram-handled: after each handler, sync or async, failed or not, with its duration', async (t) => {
    const handled = watchChannel<DatagramHandledMessage>(t, 'socketkit:server:datagram-handled');
    const server = await new UdpServer({
      port: 0,
      handleError: () => {},
      handler: (packet, ctx) => {
        const text = packet.toString();
        if (text === 'throw') throw new Error('boom');
        if (text === 'reject') return Promise.reject(new Error('boom'));
        if (text === 'later')
          return new Promise<void>((resolve) =>
            setImmediate(() => {
              ctx.send(text);
              resolve();
            }),
          );
        ctx.send(text);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'now'))?.toString(), 'now');
    assert.equal((await udpRequest(server.address, 'later'))?.toString(), 'later');
    // No answer to these two: sent, then waited for on the channel.
    const sock = dgram.createSocket('udp4');
    t.after(() => sock.close());
    const port = server.address.family === 'unix' ? 0 : server.address.port;
    for (const p of ['throw', 'reject'])
      await new Promise<void>((resolve, reject) =>
        sock.send(p, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
    const mine = (
      await handled.waitFor((all) => all.filter((m) => m.server === server).length >= 4)
    ).filter((m) => m.server === server);
    assert.deepEqual(mine.map((m) => [m.bytes, m.failed, m.transport]).sort(), [
      [3, false, 'udp'],
      [5, false, 'udp'],
      [5, true, 'udp'],
      [6, true, 'udp'],
    ]);
    for (const m of mine) {
      assert.equal(typeof m.id, 'number');
      assert.ok(m.durationMs >= 0 && m.durationMs < 60_000, String(m.durationMs));
    }
    // The server's own counts: 4 dispatched (19 bytes), 2 answered (8 bytes).
    assert.deepEqual(server.datagramCounts(), {
      received: 4,
      receivedBytes: 19,
      sent: 2,
      sentBytes: 8,
    });
  });

  test('ctx exposes remote, local, transport and signal', async (t) => {
    const seen: Array<{
      remote: PeerAddress;
      local: PeerAddress;
      transport: string;
      aborted: boolean;
    }> = [];
    const server = await new UdpServer({
      port: 0,
      handler: (packet, ctx) => {
        seen.push({
          remote: ctx.remote,
          local: ctx.local,
          transport: ctx.transport,
          aborted: ctx.signal.aborted,
        });
        ctx.send(packet);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    await udpRequest(server.address, 'who');
    assert.equal(seen.length, 1);
    const s = seen[0]!;
    assert.deepEqual(s.local, server.address);
    assert.equal(s.remote.family, 'IPv4');
    assert.deepEqual(Object.keys(s.remote).sort(), ['address', 'family', 'port']);
    assert.equal(s.transport, 'udp');
    assert.equal(s.aborted, false);
  });

  test('handleRequest() runs a synchronous handler once', async (t) => {
    const server = await new UdpServer({ port: 0, handler: (p, ctx) => ctx.send(p) }).listen();
    t.after(() => server.destroy());
    const reply = udpRequest(server.address, 'once');
    await server.handleRequest();
    assert.equal((await reply)?.toString(), 'once');
  });
});

describe('UnixDatagramServer, synchronous handlers', () => {
  test('ctx.send() answers a bound sender; an unbound one is a reply error', async (t) => {
    const path = join(tmp.dir, 'sync.sock');
    const errors = recorder<{ error: unknown; ctx: ErrorContext }>();
    const server = await new UnixDatagramServer({
      path,
      handler: (packet, ctx) => ctx.send(packet),
      handleError: (error, ctx) => {
        errors.push({ error, ctx });
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal(
      (await unixDatagramRequest(path, join(tmp.dir, 'sync-client.sock'), 'unix'))?.toString(),
      'unix',
    );
    const { UnixDatagramSocket } = await import('../../../src/socket/unix-datagram.js');
    const unbound = new UnixDatagramSocket();
    await unbound.sendTo('anyone', { path });
    await unbound.close();
    await errors.waitFor();
    assert.equal(errors[0]?.ctx.phase, 'reply');
    assert.match(String(errors[0]?.error), /not bound to a path/);
  });
});
