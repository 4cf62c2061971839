/**
 * Issue 10, defects 12 and 16: a hung Redis (SIGSTOP) used to go unnoticed — commands
 * waited for ever, clients were not told, lines piled up and were dropped with a generic
 * "the server is busy" — and `serve` logged nothing. Now command timeouts and a watchdog
 * on the blocking read detect it: every client is told the bus is down, every line sent
 * meanwhile is quoted back to its sender, the outage and the recovery are logged, and
 * after SIGCONT the chat works again.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULT_HUB_OPTIONS } from '../../src/services/chat/hub.js';
import { logChatEvents } from '../../src/services/chat/index.js';
import { RedisBus } from '../../src/services/chat/redis-bus.js';
import {
  type ChatServerHandle,
  startChat,
  TestClient,
} from '../integration/services/chat-harness.js';
import { PrivateRedis } from '../integration/services/chat-redis-harness.js';

const skip = await privateRedisSkipReason();

async function privateRedisSkipReason(): Promise<string | null> {
  try {
    const r = await PrivateRedis.start();
    await r.kill();
    return null;
  } catch (err) {
    const reason = `cannot start a private redis-server (${String(err)}): hung-Redis test SKIPPED`;
    if (process.env.CI) throw new Error(reason, { cause: err });
    console.warn(`\n!!! ${reason} !!!\n`);
    return reason;
  }
}

describe('a hung Redis is detected', () => {
  let redis: PrivateRedis | undefined;
  let server: ChatServerHandle | undefined;
  const clients: TestClient[] = [];
  const log: string[] = [];
  after(async () => {
    for (const c of clients) c.sock.destroy();
    try {
      redis?.signal('SIGCONT');
    } catch {
      // already gone
    }
    await server?.close();
    await redis?.kill();
  });

  it(
    'clients are told, refused lines are quoted, serve logs down and up',
    { skip: skip ?? false },
    async () => {
      redis = await PrivateRedis.start();

      const bus = new RedisBus({
        url: redis.url,
        prefix: 'hung',
        historyLimit: 10,
        blockMs: 200,
        commandTimeoutMs: 500,
        readTimeoutMs: 500,
      });
      server = await startChat(
        { history: 10, limits: { ...DEFAULT_HUB_OPTIONS.limits, rateLimit: 0 } },
        bus,
      );
      // What `serve` writes: the chat service hands its hub's events to the service log.
      const stopLogging = logChatEvents(server.hub, (level, message) => {
        log.push(`${level.toUpperCase()} ${message}`);
      });
      after(stopLogging);
      const alice = await TestClient.join(server.port, 'alice');
      const bob = await TestClient.join(server.port, 'bob');
      clients.push(alice, bob);
      alice.send('before');
      await bob.waitFor(/^<alice> before$/);

      redis.signal('SIGSTOP');
      // Sent before the hang is noticed: written to Redis, unanswered, timed out, refused.
      const early = alice.lines.length;
      alice.send('lost early');
      await alice.waitFor(
        /^<server> error: the chat bus is unavailable: the message was not sent: "lost early"$/,
        { from: early, timeout: 15000 },
      );
      // Told, without anyone sending anything (the read watchdog notices).
      await bob.waitFor(/^<server> error: the chat bus is down/, { timeout: 15000 });
      await alice.waitFor(/^<server> error: the chat bus is down/, { timeout: 15000 });
      const from = alice.lines.length;
      for (const line of ['lost one', 'lost two', 'lost three']) alice.send(line);
      for (const line of ['lost one', 'lost two', 'lost three']) {
        await alice.waitFor(
          new RegExp(
            `^<server> error: the chat bus is unavailable: the message was not sent: "${line}"$`,
          ),
          { from, timeout: 15000 },
        );
      }
      assert.ok(!alice.lines.some((l) => l.includes('server is busy')), 'no generic "busy" drop');
      assert.ok(
        log.some((l) => /WARN .*chat bus down/.test(l)),
        `logged down:\n${log.join('\n')}`,
      );

      redis.signal('SIGCONT');
      await bob.waitFor(/^<server> the chat bus is back/, { timeout: 15000 });
      const after1 = bob.lines.length;
      alice.send('after');
      await bob.waitFor(/^<alice> after$/, { from: after1, timeout: 15000 });
      // The lines refused during the outage were never delivered, not even the one Redis
      // received before it stopped and ran after it resumed.
      assert.ok(
        !bob.lines.some((l) => l.startsWith('<alice> lost')),
        'refused lines not delivered',
      );
      assert.ok(
        log.some((l) => /INFO .*chat bus up again/.test(l)),
        `logged up:\n${log.join('\n')}`,
      );
    },
  );
});
