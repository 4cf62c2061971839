// The browser chat's WebSocket session over real sockets: a `ws` client against a
// minimal HTTP server that hands each upgrade to the chat endpoint's `accept`, in the
// same hub as TCP clients. Parity with TCP: the same session code, so the same rules.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { DEFAULT_HUB_OPTIONS } from '../../../src/services/chat/hub.js';
import { type WebChatHandle, startWebChat, WsChatClient } from '../../helpers/chat-web.js';
import { waitForChannel } from '../../helpers/wait.js';
import { RedisBus } from '../../../src/services/chat/redis-bus.js';
import { TestClient } from './chat-harness.js';
import {
  deletePrefix,
  redisSkipReason,
  SHARED_REDIS_URL,
  uniquePrefix,
} from './chat-redis-harness.js';

const limits = DEFAULT_HUB_OPTIONS.limits;

async function withWebChat(
  options: Parameters<typeof startWebChat>[0],
  web: Parameters<typeof startWebChat>[1],
  fn: (chat: WebChatHandle) => Promise<void>,
): Promise<void> {
  const chat = await startWebChat(options, web);
  try {
    await fn(chat);
  } finally {
    await chat.close();
  }
}

describe('browser chat over WebSocket', { timeout: 120_000 }, () => {
  it('serves a self-contained page that renders text only', async () => {
    await withWebChat({}, {}, async (chat) => {
      const res = await fetch(chat.pageUrl);
      const html = await res.text();
      assert.equal(html, chat.endpoint.page);
      // No external resource: no src/href attributes, no <link>, no url() in the CSS.
      assert.doesNotMatch(html, /\s(src|href)\s*=|<link\b|url\(|@import/i);
      // Network text goes in with textContent: the page never parses HTML.
      assert.doesNotMatch(html, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
      // The socket's path follows the page's own (the service may not be named chat).
      assert.match(html, /location\.pathname/);
    });
  });

  it('puts a browser and a TCP client in the same room, both ways, with history', async () => {
    await withWebChat({}, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'tina');
      tcp.send('before the browser came');
      const web = await WsChatClient.connect(chat.wsUrl);
      await web.waitFor(/^<history> <tina> before the browser came$/);
      web.send('/nick wanda');
      await tcp.waitFor(/^<announce> wanda joined #lobby$/);
      web.send('hello from the browser');
      await tcp.waitFor(/^<wanda> hello from the browser$/);
      tcp.send('hello from nc');
      await web.waitFor(/^<tina> hello from nc$/);
      web.send('/me waves');
      await tcp.waitFor(/^\* wanda waves$/);
      web.send('/msg tina psst');
      await tcp.waitFor(/^\*wanda\* psst$/);
      await web.waitFor(/^-> \*tina\* psst$/);
      web.send('/who #lobby');
      await web.waitFor(/^<server> 2 in #lobby: tina, wanda$/);
      web.send('/join #dev');
      await web.waitFor(/^<server> you are in #dev$/);
      await tcp.waitFor(/^<announce> wanda left #lobby$/);
      tcp.send('/join #dev');
      await web.waitFor(/^<announce> tina joined #dev$/);
      await web.close();
      await tcp.waitFor(/^<announce> wanda left #dev$/);
      await tcp.close();
    });
  });

  it('applies the same nick rules: invalid, reserved, taken by a TCP client', async () => {
    await withWebChat({}, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'alice');
      const web = await WsChatClient.join(chat.wsUrl);
      web.send('/nick alice');
      await web.waitFor(/^<server> error: nickname "alice" is taken$/);
      web.send('/nick аlice'); // Cyrillic а: a look-alike is the same nickname
      await web.waitFor(/^<server> error: nickname "аlice" is taken$/);
      web.send('/nick server');
      await web.waitFor(/^<server> error: "server" is reserved$/);
      web.send('/nick <img>');
      await web.waitFor(/^<server> error: a nickname starts with a letter/);
      web.send('/bogus');
      await web.waitFor(/^<server> error: unknown command \/bogus: try \/help$/);
      web.send('/nick bob');
      await tcp.waitFor(/^<announce> bob joined #lobby$/);
      await web.close();
      await tcp.close();
    });
  });

  it('relays hostile text as text: markup verbatim, control characters escaped', async () => {
    await withWebChat({}, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'tina');
      const web = await WsChatClient.join(chat.wsUrl, 'wanda');
      web.send('<img src=x onerror=alert(1)>');
      await tcp.waitFor(/^<wanda> <img src=x onerror=alert\(1\)>$/);
      web.send('bell\u0007 and \u001b[2J and \u202ereversed');
      await tcp.waitFor(/^<wanda> bell\\x07 and \\x1b\[2J and \\u\{202e\}reversed$/);
      await web.close();
      await tcp.close();
    });
  });

  it('takes a message with newlines as several lines, each checked', async () => {
    await withWebChat({}, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'tina');
      const web = await WsChatClient.join(chat.wsUrl, 'wanda');
      web.send('first\nsecond\r\n/me third');
      await tcp.waitFor(/^\* wanda third$/);
      const got = tcp.lines.filter((l) => l.includes('wanda') && !l.startsWith('<announce>'));
      assert.deepEqual(got, ['<wanda> first', '<wanda> second', '* wanda third']);
      await web.close();
      await tcp.close();
    });
  });

  it('drops a message over the line length with a notice, and carries on', async () => {
    await withWebChat({ limits: { ...limits, maxLineLength: 64 } }, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'tina');
      const web = await WsChatClient.join(chat.wsUrl, 'wanda');
      web.send('x'.repeat(500));
      await web.waitFor(/^<server> error: line longer than 64 bytes dropped$/);
      web.send('short one');
      await tcp.waitFor(/^<wanda> short one$/);
      assert.ok(!tcp.lines.some((l) => l.includes('xxxx')));
      await web.close();
      await tcp.close();
    });
  });

  it('rate-limits a flooding browser with the TCP notice, others unaffected', async () => {
    const options = { limits: { ...limits, rateLimit: 5, rateBurst: 5 } };
    await withWebChat(options, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'tina');
      const web = await WsChatClient.join(chat.wsUrl, 'wanda');
      for (let i = 0; i < 100; i += 1) web.send(`flood ${i}`);
      await web.waitFor(/^<server> error: too many lines \(limit 5\/s\): dropped$/);
      await tcp.waitFor(/^<wanda> flood 3$/); // /nick took one token of the burst
      tcp.send('still fine');
      await web.waitFor(/^<tina> still fine$/);
      assert.ok(tcp.lines.filter((l) => l.startsWith('<wanda> flood')).length < 60);
      await web.close();
      await tcp.close();
    });
  });

  it('refuses a binary message: a notice, then close 1003', async () => {
    await withWebChat({}, {}, async (chat) => {
      const web = await WsChatClient.join(chat.wsUrl, 'wanda');
      web.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      await web.waitFor(/^<server> error: binary messages are not chat: disconnecting$/);
      assert.equal(await web.waitClosed(), 1003);
    });
  });

  it('cuts a browser that stops reading as a slow consumer, bounded', async () => {
    const options = { limits: { ...limits, rateLimit: 0, maxQueueBytes: 64 * 1024 } };
    await withWebChat(options, {}, async (chat) => {
      const slow = await WsChatClient.join(chat.wsUrl, 'slow');
      const tcp = await TestClient.join(chat.port, 'fast');
      const cut = waitForChannel<{ nick: string; queued: number }>(
        'socketkit:chat:slow-consumer',
        (m) => m.nick === 'slow',
      );
      const left = waitForChannel<{ nick: string }>(
        'socketkit:chat:leave',
        (m) => m.nick === 'slow',
      );
      // The browser stops reading: its socket is paused, the kernel buffers fill, then ws's.
      (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const line = 'y'.repeat(1000);
      let sent = 0;
      let settled = false;
      void cut.then(
        () => (settled = true),
        () => (settled = true),
      );
      // Bounded: at most 20 MB offered (the kernel takes a few MB on loopback).
      while (!settled && sent < 20_000) {
        let room = true;
        for (let i = 0; i < 100; i += 1) room = tcp.sock.write(`${line} ${sent + i}\n`);
        sent += 100;
        if (!room) await once(tcp.sock, 'drain');
        else await new Promise((resolve) => setImmediate(resolve));
      }
      const m = await cut;
      assert.ok(m.queued > 64 * 1024, `cut at ${m.queued} bytes queued`);
      await left;
      // Its socket is gone on the server side (terminated after the close grace).
      await chat.socketsDownTo(0);
      tcp.send('the room carries on');
      await tcp.waitFor(/^<server>|^<announce> slow left/);
      await tcp.close();
      slow.ws.terminate();
    });
  });

  it('pings, and cuts a browser that stops answering', async () => {
    await withWebChat({}, { pingInterval: 0.2 }, async (chat) => {
      const alive = await WsChatClient.join(chat.wsUrl, 'alive');
      let pings = 0;
      alive.ws.on('ping', () => (pings += 1));
      const dead = await WsChatClient.connect(chat.wsUrl, { autoPong: false });
      await dead.waitFor(/^<server> you are in #lobby/);
      const lost = waitForChannel<{ detail: string }>('socketkit:chat:lost', (m) =>
        m.detail.includes('keepalive'),
      );
      await lost;
      assert.equal(await dead.waitClosed(), 1006);
      // Meanwhile the answering one was pinged and stays.
      assert.ok(pings >= 1, `pinged ${pings} times`);
      assert.equal(alive.closed, false);
      alive.send('still here');
      alive.send('/who #lobby');
      await alive.waitFor(/^<server> 1 in #lobby: alive$/);
      await alive.close();
    });
  });

  it('disconnects an idle browser with the TCP notice', async () => {
    await withWebChat({ limits: { ...limits, idleTimeout: 1 } }, {}, async (chat) => {
      const web = await WsChatClient.join(chat.wsUrl, 'wanda');
      await web.waitFor(/^<server> idle for 1 s: disconnecting$/);
      assert.equal(await web.waitClosed(), 1000);
    });
  });

  it('caps browsers per address: a notice, then close 1013', async () => {
    await withWebChat({}, { maxPerIp: 2 }, async (chat) => {
      const a = await WsChatClient.join(chat.wsUrl);
      const b = await WsChatClient.join(chat.wsUrl);
      const c = await WsChatClient.connect(chat.wsUrl);
      await c.waitFor(/^<server> error: too many connections from your address: try again later$/);
      assert.equal(await c.waitClosed(), 1013);
      await c.close();
      await a.close();
      // A slot is free again once a browser left.
      await chat.socketsDownTo(1);
      const d = await WsChatClient.join(chat.wsUrl);
      await d.close();
      await b.close();
    });
  });

  it('counts browsers against the hub maxClients, like TCP clients', async () => {
    await withWebChat({ maxClients: 1 }, {}, async (chat) => {
      const tcp = await TestClient.join(chat.port, 'tina');
      const web = await WsChatClient.connect(chat.wsUrl);
      await web.waitFor(/^<server> error: the server is full \(1 clients\)$/);
      await web.waitClosed();
      await tcp.close();
    });
  });

  it('tells browsers when the server shuts down', async () => {
    const chat = await startWebChat();
    const web = await WsChatClient.join(chat.wsUrl, 'wanda');
    const closing = chat.close();
    await web.waitFor(/^<server> the server is shutting down$/);
    await web.waitClosed();
    await closing;
  });

  it('joins the rooms of every node on the same Redis bus', async (t) => {
    const skip = await redisSkipReason();
    if (skip !== null) return t.skip(skip);
    const prefix = uniquePrefix();
    const bus = () => new RedisBus({ url: SHARED_REDIS_URL, prefix, historyLimit: 10 });
    const a = await startWebChat({ history: 10 }, {}, bus());
    const b = await startWebChat({ history: 10 }, {}, bus());
    try {
      const tcp = await TestClient.join(b.port, 'tina');
      const web = await WsChatClient.join(a.wsUrl, 'wanda');
      await tcp.waitFor(/^<announce> wanda joined #lobby$/);
      web.send('from a browser on node A');
      await tcp.waitFor(/^<wanda> from a browser on node A$/);
      tcp.send('from nc on node B');
      await web.waitFor(/^<tina> from nc on node B$/);
      // Nicknames are unique across nodes, for browsers too.
      const web2 = await WsChatClient.join(a.wsUrl);
      web2.send('/nick tina');
      await web2.waitFor(/^<server> error: nickname "tina" is taken$/);
      await web2.close();
      await web.close();
      await tcp.close();
    } finally {
      await a.close();
      await b.close();
      await deletePrefix(SHARED_REDIS_URL, prefix);
    }
  });
});
