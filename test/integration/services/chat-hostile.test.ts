import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HUB_OPTIONS } from '../../../src/services/chat/hub.js';
import { type ChatServerHandle, settle, startChat, TestClient } from './chat-harness.js';

const limits = DEFAULT_HUB_OPTIONS.limits;

async function withChat(
  options: Parameters<typeof startChat>[0],
  fn: (server: ChatServerHandle, join: (nick?: string) => Promise<TestClient>) => Promise<void>,
): Promise<void> {
  const server = await startChat(options);
  const clients: TestClient[] = [];
  try {
    await fn(server, async (nick) => {
      const c = await TestClient.join(server.port, nick);
      clients.push(c);
      return c;
    });
  } finally {
    for (const c of clients) c.sock.destroy();
    await server.close();
  }
}

describe('chat against hostile and broken clients', () => {
  it('replaces invalid UTF-8 and escapes control bytes', async () => {
    await withChat({}, async (_s, join) => {
      const a = await join('alice');
      const b = await join('bob');
      a.sock.write(Buffer.from([0x68, 0xff, 0x69, 0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x0d, 0x78, 0x0a]));
      await b.waitFor(/^<alice> /);
      assert.ok(b.lines.includes('<alice> h\uFFFDi\\x1b[2J\\x07\\x0dx'), b.lines.join('\n'));
    });
  });

  it('drops an oversize line with a notice and carries on', async () => {
    await withChat({ limits: { ...limits, maxLineLength: 64 } }, async (_s, join) => {
      const a = await join('alice');
      const b = await join('bob');
      a.send('x'.repeat(500));
      await a.waitFor(/^<server> error: line longer than 64 bytes dropped$/);
      a.send('short one');
      await b.waitFor(/^<alice> short one$/);
      assert.ok(!b.lines.some((l) => l.includes('xxxx')));
    });
  });

  it('rate-limits a flooding client without affecting others', async () => {
    const opts = { limits: { ...limits, rateLimit: 5, rateBurst: 5 } };
    await withChat(opts, async (_s, join) => {
      const a = await join('alice');
      const b = await join('bob');
      a.sock.write(Array.from({ length: 200 }, (_, i) => `flood ${i}\n`).join(''));
      await a.waitFor(/^<server> error: too many lines \(limit 5\/s\): dropped$/);
      await b.waitFor(/^<alice> flood 3$/); // /nick took one token of the burst
      await settle(200);
      const got = b.lines.filter((l) => l.startsWith('<alice> flood'));
      assert.ok(got.length >= 4 && got.length < 60, `${got.length} flood lines got through`);
      b.send('still fine');
      await a.waitFor(/^<bob> still fine$/);
    });
  });

  it('cuts a slow consumer with a notice and never slows the others', async () => {
    const opts = {
      limits: { ...limits, rateLimit: 0, maxQueueBytes: 64 * 1024, maxLineLength: 8192 },
    };
    await withChat(opts, async (_s, join) => {
      const slow = await join('slow');
      const fast = await join('fast');
      const talker = await join('talker');
      slow.sock.pause(); // stops reading: the kernel buffers fill, then the server's queue
      const big = 'y'.repeat(8000);
      let sent = 0;
      // Bounded: at most 4000 × 8 KB; stops as soon as the slow client is gone.
      while (sent < 4000) {
        for (let i = 0; i < 50; i += 1) talker.send(`${sent++} ${big}`);
        const idx = fast.lines.findIndex((l) => l.startsWith('<announce> slow left'));
        if (idx !== -1) break;
        await fast.waitFor(new RegExp(`^<talker> ${sent - 1} `));
      }
      await fast.waitFor(/^<announce> slow left #lobby \(too slow\)$/);
      // The fast reader got every message, in order.
      await fast.waitFor(new RegExp(`^<talker> ${sent - 1} `));
      const nums = fast.lines
        .filter((l) => l.startsWith('<talker> '))
        .map((l) => Number(l.split(' ')[1]));
      assert.deepEqual(
        nums,
        Array.from({ length: sent }, (_, i) => i),
      );
      slow.sock.resume();
      await slow.waitClosed();
    });
  });

  it('treats an abrupt disconnect mid-line as a normal leave', async () => {
    await withChat({}, async (server, join) => {
      const a = await join('alice');
      const b = await join('bob');
      a.sock.write('half a li');
      a.sock.resetAndDestroy();
      await b.waitFor(/^<announce> alice left #lobby/);
      assert.equal(server.hub.size, 1);
      const c = await join('alice'); // the nickname is free again
      c.send('back');
      await b.waitFor(/^<alice> back$/);
    });
  });

  it('delivers the last partial line when a client closes cleanly', async () => {
    await withChat({}, async (_s, join) => {
      const a = await join('alice');
      const b = await join('bob');
      a.sock.end('last words');
      await b.waitFor(/^<alice> last words$/);
      await b.waitFor(/^<announce> alice left #lobby$/);
    });
  });

  it('refuses clients over --max-clients', async () => {
    await withChat({ maxClients: 2 }, async (server, join) => {
      await join();
      await join();
      const third = await TestClient.connect(server.port);
      await third.waitFor(/^<server> error: the server is full \(2 clients\)$/);
      await third.waitClosed();
    });
  });

  it('disconnects idle clients after --idle-timeout', async () => {
    await withChat({ limits: { ...limits, idleTimeout: 1 } }, async (_s, join) => {
      const a = await join('alice');
      await a.waitFor(/^<server> idle for 1 s: disconnecting$/, { timeout: 5000 });
      await a.waitClosed();
    });
  });
});
