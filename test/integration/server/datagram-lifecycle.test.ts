// Datagram servers: maxPacketSize, access lists, handler classes, errors, handleRequest,
// graceful shutdown, and a Python client written like the tutorials (AF_UNIX, SOCK_DGRAM).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  DatagramRequestHandler,
  UdpServer,
  UnixDatagramServer,
} from '../../../src/server/index.js';
import { deferred, recorder } from '../../helpers/wait.js';
import { tempDir, udpRequest, unixDatagramRequest } from './helpers/clients.js';
import { needs } from '../../helpers/needs.js';

const tmp = tempDir();
after(tmp.cleanup);
const run = promisify(execFile);

class Upper extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    await this.reply(
      `${this.packet.toString().toUpperCase()}${this.ctx.truncated ? ' (cut)' : ''}`,
    );
  }
}

describe('UdpServer', () => {
  test('a DatagramRequestHandler class; maxPacketSize cuts and flags long datagrams', async (t) => {
    const server = await new UdpServer({ port: 0, maxPacketSize: 5, handler: Upper }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal((await udpRequest(server.address, 'hey'))?.toString(), 'HEY');
    assert.equal((await udpRequest(server.address, 'hello world'))?.toString(), 'HELLO (cut)');
  });

  test('deny drops datagrams; a throwing handler does not stop the server', async (t) => {
    const denied = await new UdpServer({ port: 0, deny: ['127.0.0.1'], handler: Upper }).listen();
    const errors: unknown[] = [];
    const flaky = await new UdpServer({
      port: 0,
      handler: async (packet, ctx) => {
        if (packet.toString() === 'boom') throw new Error('bad datagram');
        await ctx.reply(packet);
      },
      handleError: (e) => {
        errors.push(e);
      },
    }).listen();
    t.after(() => Promise.all([denied.destroy(), flaky.destroy()]));
    void denied.serveForever();
    void flaky.serveForever();
    assert.equal(await udpRequest(denied.address, 'hello', 300), null);
    assert.equal(await udpRequest(flaky.address, 'boom', 300), null);
    assert.equal((await udpRequest(flaky.address, 'fine'))?.toString(), 'fine');
    assert.equal(errors.length, 1);
  });

  test('handleRequest() handles one datagram, or times out', async (t) => {
    let timeouts = 0;
    const server = await new UdpServer({
      port: 0,
      timeout: 0.1,
      handler: Upper,
      handleTimeout: () => {
        timeouts++;
      },
    }).listen();
    t.after(() => server.destroy());
    await server.handleRequest();
    assert.equal(timeouts, 1);
    const reply = udpRequest(server.address, 'one');
    await server.handleRequest();
    assert.equal((await reply)?.toString(), 'ONE');
  });

  test('shutdown lets running handlers reply', async () => {
    const shuttingDown = deferred();
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await new UdpServer({
      port: 0,
      handler: async (packet, ctx) => {
        started();
        await shuttingDown.promise; // still running when shutdown begins
        await ctx.reply(packet);
      },
    }).listen();
    void server.serveForever();
    const reply = udpRequest(server.address, 'late reply');
    await running;
    const stopping = server.shutdown();
    shuttingDown.resolve();
    await stopping;
    assert.equal((await reply)?.toString(), 'late reply');
  });

  test('close() is graceful like shutdown(); destroy() does not wait for a running handler', async () => {
    const never = deferred();
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await new UdpServer({
      port: 0,
      drainTimeout: 60, // a graceful stop would wait a minute for this handler
      handler: async () => {
        started();
        await never.promise; // never settles
      },
    }).listen();
    void server.serveForever();
    void udpRequest(server.address, 'hang').catch(() => {});
    await running;
    const closing = server.close(); // graceful: waits for the handler
    let closed = false;
    void closing.then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false);
    await server.destroy(); // cuts the drain short
    await closing;
    assert.equal(server.closed, true);
  });
});

describe('UnixDatagramServer', () => {
  test('replies to a bound sender; an unbound sender cannot get a reply', async (t) => {
    const path = join(tmp.dir, 'upper.sock');
    const errors = recorder<unknown>();
    const server = await new UnixDatagramServer({
      path,
      handler: Upper,
      handleError: (e) => {
        errors.push(e);
      },
    }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    assert.equal(
      (await unixDatagramRequest(path, join(tmp.dir, 'client.sock'), 'unix'))?.toString(),
      'UNIX',
    );
    const { UnixDatagramSocket } = await import('../../../src/socket/unix-datagram.js');
    const unbound = new UnixDatagramSocket();
    await unbound.sendTo('anyone', { path });
    await unbound.close();
    await errors.waitFor();
    assert.match(String(errors[0]), /not bound to a path/);
  });

  test('the socket file is removed on close, and a stale one is replaced', async () => {
    const path = join(tmp.dir, 'stale.sock');
    const first = await new UnixDatagramServer({ path, handler: Upper }).listen();
    await first.destroy();
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(path), false);
    // Simulate a crash: a bound socket file nobody receives on.
    const { UnixDatagramSocket } = await import('../../../src/socket/unix-datagram.js');
    const crashed = new UnixDatagramSocket();
    await crashed.bind({ path });
    await crashed.close();
    assert.equal(existsSync(path), true);
    const second = await new UnixDatagramServer({ path, handler: Upper }).listen();
    await second.destroy();
  });

  test('a live server on the path is an AddressInUseError', async (t) => {
    const path = join(tmp.dir, 'live.sock');
    const live = await new UnixDatagramServer({ path, handler: Upper }).listen();
    t.after(() => live.destroy());
    await assert.rejects(new UnixDatagramServer({ path, handler: Upper }).listen(), {
      name: 'AddressInUseError',
    });
  });

  test('a Python client (socket.AF_UNIX, socket.SOCK_DGRAM) gets its replies', async (t) => {
    const why = needs('python3');
    if (why) return t.skip(why);
    const path = join(tmp.dir, 'py.sock');
    const server = await new UnixDatagramServer({ path, handler: Upper }).listen();
    t.after(() => server.destroy());
    void server.serveForever();
    const client = join(tmp.dir, 'py-client.sock');
    const script = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[2])          # a bound path, so the server can answer
s.settimeout(5)
for msg in ["hello", "ni hao", ""]:
    s.sendto(msg.encode("utf-8"), sys.argv[1])
    data, addr = s.recvfrom(1024)
    print(repr(data.decode("utf-8")))
s.close()
`;
    const { stdout } = await run('python3', ['-c', script, path, client], { timeout: 20_000 });
    assert.equal(stdout, "'HELLO'\n'NI HAO'\n''\n");
  });
});
