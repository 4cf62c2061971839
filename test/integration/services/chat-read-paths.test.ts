// serveChatConnection reads in push mode on the connection (StreamConnection.onData); bytes
// that something already read into socketkit's receive buffer are handed over first: both
// a fresh connection and one read from before must give the chat the same lines, the
// partial last line at EOF included.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { TcpServer } from '../../../src/server/tcp-server.js';
import { serveChatConnection } from '../../../src/services/chat/connection.js';
import { ChatHub } from '../../../src/services/chat/hub.js';
import { formatPeer } from '../../../src/services/chat/index.js';
import { MemoryBus } from '../../../src/services/chat/memory-bus.js';
import { TestClient } from './chat-harness.js';

async function hubFor(t: TestContext): Promise<ChatHub> {
  const hub = new ChatHub(new MemoryBus(), { history: 0 });
  await hub.start();
  t.after(() => hub.close());
  return hub;
}

/** A client says a few lines, the last one without a newline, then closes its side. */
async function talkAndLeave(port: number, preamble = ''): Promise<TestClient> {
  const listener = await TestClient.join(port);
  const talker = await TestClient.connect(port);
  talker.sock.write(preamble + 'one\r\ntw');
  talker.sock.write('o\nthree without newline');
  const nick = await talker.waitFor(/^<server> welcome to socketkit chat, (user\d+)\./);
  const name = /chat, (user\d+)\./.exec(talker.lines[nick] ?? '')?.[1] ?? '?';
  talker.sock.end();
  await listener.waitFor(new RegExp(`^<announce> ${name} left #lobby`));
  const said = listener.lines.filter((l) => l.startsWith(`<${name}> `));
  assert.deepEqual(said, [`<${name}> one`, `<${name}> two`, `<${name}> three without newline`]);
  return listener;
}

describe('chat read paths', { timeout: 20_000 }, () => {
  it('a fresh socketkit Socket: lines pushed from the connection', async (t) => {
    const hub = await hubFor(t);
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      handler: (conn, ctx) => {
        assert.equal(conn.raw.listenerCount('data'), 0, 'nothing reads before the chat');
        return serveChatConnection(hub, conn, formatPeer(ctx.remote), ctx.signal);
      },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.shutdown({ drainTimeout: 1 }));
    const address = server.address;
    const listener = await talkAndLeave('port' in address ? address.port : 0);
    await listener.close();
  });

  it('a socketkit Socket something already read from: its buffered bytes come first', async (t) => {
    const hub = await hubFor(t);
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      handler: async (conn, ctx) => {
        // A handshake line before the chat, as a wrapping protocol would read it; the
        // client sends its first lines in the same packet, so they wait in our buffer.
        const hello = await conn.recvUntil('\n', { maxBytes: 100 });
        if (hello.toString() !== 'HELLO') return;
        return serveChatConnection(hub, conn, formatPeer(ctx.remote), ctx.signal);
      },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.shutdown({ drainTimeout: 1 }));
    const address = server.address;
    const port = 'port' in address ? address.port : 0;
    const listener = await TestClient.connect(port);
    listener.sock.write('HELLO\n');
    await listener.waitFor(/^<server> you are in #lobby/);
    const talker = await TestClient.connect(port);
    talker.sock.write('HELLO\nfirst, in the handshake packet\n');
    const i = await listener.waitFor(/^<user\d+> first, in the handshake packet$/);
    assert.ok(i >= 0);
    await talker.close();
    await listener.close();
  });

  it('a plain net.Socket as its own input', async (t) => {
    const hub = await hubFor(t);
    const served: Promise<void>[] = [];
    const listener = net.createServer((sock) => {
      sock.on('error', () => {});
      served.push(serveChatConnection(hub, sock, 'plain'));
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    t.after(async () => {
      listener.close();
      await Promise.allSettled(served);
    });
    const { port } = listener.address() as net.AddressInfo;
    const other = await talkAndLeave(port);
    await other.close();
  });

  it('a client that reset before the chat began leaves at once, its slot freed', async (t) => {
    const hub = await hubFor(t);
    let settled!: () => void;
    const handlerDone = new Promise<void>((resolve) => (settled = resolve));
    const server = new TcpServer({
      host: '127.0.0.1',
      port: 0,
      handler: async (conn, ctx) => {
        // Something async before the chat (an auth lookup, say): the client resets meanwhile.
        // (Not events.once: it rejects on the 'error' that comes first.)
        const raw = conn.raw;
        if (!raw.destroyed) await new Promise((resolve) => raw.once('close', resolve));
        try {
          await serveChatConnection(hub, conn, formatPeer(ctx.remote), ctx.signal);
        } finally {
          settled();
        }
      },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.shutdown({ drainTimeout: 1 }));
    const address = server.address;
    const client = net.connect('port' in address ? address.port : 0, '127.0.0.1');
    client.on('error', () => {});
    await once(client, 'connect');
    client.resetAndDestroy();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      handlerDone.then(() => 'settled'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting'), 3000))),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'settled', 'the handler ends: nothing waits for a close already past');
    while (server.connections > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('a plain net.Socket already closed: serveChatConnection settles', async (t) => {
    const hub = await hubFor(t);
    const served: Promise<void>[] = [];
    const listener = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.once('close', () => served.push(serveChatConnection(hub, sock, 'plain')));
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    t.after(() => listener.close());
    const { port } = listener.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    await once(client, 'connect');
    client.resetAndDestroy();
    while (served.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      Promise.allSettled(served).then(() => 'settled'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting'), 3000))),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'settled');
  });
});
