import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULT_HUB_OPTIONS } from '../../../src/services/chat/hub.js';
import { RedisBus } from '../../../src/services/chat/redis-bus.js';
import { type ChatServerHandle, settle, startChat, TestClient } from './chat-harness.js';
import { inCI } from '../../helpers/needs.js';
import { PrivateRedis, pingRedis } from './chat-redis-harness.js';

const hasRedisServer = await pingRedisBinary();

async function pingRedisBinary(): Promise<string | null> {
  try {
    const r = await PrivateRedis.start();
    await r.kill();
    return null;
  } catch (err) {
    const reason = `cannot start a private redis-server (${String(err)}): Redis restart test SKIPPED`;
    if (inCI) throw new Error(reason, { cause: err });
    console.warn(`\n!!! ${reason} !!!\n`);
    return reason;
  }
}

describe('chat over Redis when Redis restarts', () => {
  let redis: PrivateRedis | undefined;
  const servers: ChatServerHandle[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    for (const c of clients) c.sock.destroy();
    await Promise.all(servers.map((s) => s.close()));
    await redis?.kill();
  });

  it(
    'reports the outage, refuses (and names) unsent messages, resumes after',
    {
      skip: hasRedisServer ?? false,
    },
    async () => {
      redis = await PrivateRedis.start();
      const opts = { history: 10, limits: { ...DEFAULT_HUB_OPTIONS.limits, rateLimit: 0 } };
      const bus = () =>
        new RedisBus({ url: redis?.url ?? '', prefix: 'chat', historyLimit: 10, ttlMs: 3000 });
      const a = await startChat(opts, bus());
      const b = await startChat(opts, bus());
      servers.push(a, b);
      const alice = await TestClient.join(a.port, 'alice');
      const bob = await TestClient.join(b.port, 'bob');
      clients.push(alice, bob);
      await alice.waitFor(/^<announce> bob joined #lobby$/);

      // Traffic all along: alice sends m0, m1, … every 20 ms (bounded: at most 400).
      let sent = 0;
      let sending = true;
      const traffic = (async () => {
        while (sending && sent < 400) {
          alice.send(`m${sent++}`);
          await settle(20);
        }
      })();
      await bob.waitFor(/^<alice> m5$/);
      await redis.kill();
      await bob.waitFor(/^<server> error: the chat bus is down/);
      await alice.waitFor(
        /^<server> error: the chat bus is unavailable: the message was not sent: "m\d+"$/,
      );
      assert.equal(await pingRedis(redis.url), false);
      await redis.restart();
      await bob.waitFor(/^<server> the chat bus is back/, { timeout: 15000 });
      const mark = sent;
      await bob.waitFor(new RegExp(`^<alice> m${mark + 5}$`), { timeout: 15000 });
      sending = false;
      await traffic;
      const last = sent - 1;
      await bob.waitFor(new RegExp(`^<alice> m${last}$`), { timeout: 15000 });

      // Every message was delivered once and in order, or reported unsent to alice,
      // or lies in the window bob was told "may be missing".
      const got = bob.lines.filter((l) => /^<alice> m\d+$/.test(l)).map((l) => Number(l.slice(9)));
      const refused = new Set(
        alice.lines
          .map((l) => /not sent: "m(\d+)"$/.exec(l)?.[1])
          .filter((x) => x !== undefined)
          .map(Number),
      );
      assert.deepEqual(
        got,
        [...got].sort((x, y) => x - y),
        'in order',
      );
      assert.equal(new Set(got).size, got.length, 'no duplicates');
      const warnedMissing = bob.lines.some((l) => l.includes('may be missing'));
      const lost = Array.from({ length: sent }, (_, i) => i).filter(
        (i) => !got.includes(i) && !refused.has(i),
      );
      assert.ok(lost.length === 0 || warnedMissing, `lost without notice: ${lost.join(',')}`);
      assert.ok(refused.size > 0, 'some messages were refused during the outage');

      // Nicknames and presence came back with the heartbeat.
      bob.send('/who');
      await bob.waitFor(/^<server> 2 online: alice \(#lobby\), bob \(#lobby\)$/);
      const intruder = await TestClient.join(a.port);
      clients.push(intruder);
      intruder.send('/nick bob');
      await intruder.waitFor(/^<server> error: nickname "bob" is taken$/);
    },
  );
});
