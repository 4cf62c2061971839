/**
 * Issue 10, defect 3 (the Redis side): `history:<room>` streams and topics were kept for
 * ever, so an "empty" room replayed old lines to a newcomer, and rooms were not capped.
 * Now a room's keys carry a TTL while it is in use, expire `roomGrace` s after its last
 * member (on any node) left, its history is capped in lines and bytes, and the number
 * of rooms is capped across nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus, type RedisBusOptions } from '../../src/services/chat/redis-bus.js';
import {
  type ChatServerHandle,
  startChat,
  TestClient,
} from '../integration/services/chat-harness.js';
import {
  deletePrefix,
  redisSkipReason,
  SHARED_REDIS_URL,
  uniquePrefix,
} from '../integration/services/chat-redis-harness.js';

/** Polls Redis (bounded) until `check` holds. */
async function until(check: () => Promise<boolean>, what: string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('chat rooms on Redis are bounded', async () => {
  const skip = await redisSkipReason();
  const prefix = uniquePrefix();
  const servers: ChatServerHandle[] = [];
  const clients: TestClient[] = [];
  let raw: Redis | undefined;
  const join = async (server: ChatServerHandle | undefined, nick?: string) => {
    const c = await TestClient.join(server?.port ?? 0, nick);
    clients.push(c);
    return c;
  };
  const options: RedisBusOptions = {
    url: SHARED_REDIS_URL,
    prefix,
    historyLimit: 5,
    historyBytes: 1000,
    maxRooms: 2,
    roomGrace: 1,
    ttlMs: 1500,
    blockMs: 200,
  };

  before(async () => {
    if (skip) return;
    raw = new Redis(SHARED_REDIS_URL);
    servers.push(await startChat({ history: 5 }, new RedisBus(options)));
    servers.push(await startChat({ history: 5 }, new RedisBus(options)));
  });
  after(async () => {
    for (const c of clients) c.sock.destroy();
    await Promise.all(servers.map((s) => s.close()));
    raw?.disconnect();
    if (!skip) await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  it('history is capped in lines and bytes', { skip: skip ?? false }, async () => {
    const r = raw as Redis;
    const alice = await join(servers[0], 'alice');
    alice.send('/join #caps');
    await alice.waitFor(/^<server> you are in #caps/);
    for (let i = 0; i < 8; i += 1) alice.send(`line ${i}`);
    alice.send('/echo on');
    alice.send('fin');
    await alice.waitFor(/^<alice> fin$/);
    assert.equal(await r.xlen(`${prefix}:history:#caps`), 5, 'capped to --history lines');
    for (let i = 0; i < 4; i += 1) alice.send('x'.repeat(300));
    alice.send('fin2');
    await alice.waitFor(/^<alice> fin2$/);
    const entries = await r.xrange(`${prefix}:history:#caps`, '-', '+');
    const bytes = entries.reduce((n, [, f]) => n + Buffer.byteLength(f[1] ?? ''), 0);
    assert.ok(bytes <= 1000, `history holds ${bytes} bytes`);
    assert.equal(Number(await r.get(`${prefix}:hbytes:#caps`)), bytes, 'byte count kept exact');
    const ttl = await r.pttl(`${prefix}:history:#caps`);
    assert.ok(ttl > 0, `history has a TTL while in use (${ttl})`);
    alice.send('/topic capped');
    await alice.waitFor(/set the topic of #caps: capped$/);
    assert.ok((await r.pttl(`${prefix}:topic:#caps`)) > 0, 'topic has a TTL');
  });

  it('an empty room is forgotten after its grace period', { skip: skip ?? false }, async () => {
    const r = raw as Redis;
    const bob = await join(servers[0], 'bob');
    const carol = await join(servers[1], 'carol');
    bob.send('/join #gone');
    await bob.waitFor(/^<server> you are in #gone/);
    carol.send('/join #gone');
    await bob.waitFor(/carol joined #gone$/);
    bob.send('old news');
    await carol.waitFor(/^<bob> old news$/);
    bob.send('/part');
    await carol.waitFor(/bob left #gone$/);
    // bob's node had its last member leave; a later reply to bob means its closeRoom ran
    // (one connection, in order). Still in use on carol's node: no grace period started.
    bob.send('/who #gone');
    await bob.waitFor(/^<server> 1 in #gone: carol$/);
    const kept = await r.pttl(`${prefix}:history:#gone`);
    assert.ok(kept > 1000, `kept while carol is there (pttl ${kept})`);
    carol.send('/part');
    await until(
      async () => (await r.exists(`${prefix}:history:#gone`, `${prefix}:topic:#gone`)) === 0,
      'the room keys to expire',
    );
    await until(
      async () => (await r.zscore(`${prefix}:rooms`, '#gone')) === null,
      'the room entry to go',
    );
    const dave = await join(servers[1], 'dave');
    dave.send('/join #gone');
    await dave.waitFor(/^<server> you are in #gone/);
    dave.send('/who #gone');
    await dave.waitFor(/^<server> 1 in #gone: dave$/);
    assert.ok(!dave.lines.some((l) => l.includes('old news')), 'no replay of a forgotten room');
  });

  it('the number of rooms is capped across nodes', { skip: skip ?? false }, async () => {
    const r = raw as Redis;
    // Everybody from the earlier tests leaves: their rooms are forgotten after the grace.
    for (const c of clients.splice(0)) await c.close();
    await until(async () => (await r.zcard(`${prefix}:rooms`)) === 0, 'earlier rooms to expire');
    const eve = await join(servers[0], 'eve');
    const fay = await join(servers[1], 'fay');
    eve.send('/join #one');
    await eve.waitFor(/^<server> you are in #one/);
    fay.send('/join #two');
    await fay.waitFor(/^<server> you are in #two/);
    // #one + #two = 2 rooms (#lobby is not counted): a third is refused, on either node.
    fay.send('/join #three');
    await fay.waitFor(/^<server> error: too many rooms open.*: #three cannot/);
    eve.send('/join #three');
    await eve.waitFor(/^<server> error: too many rooms open.*: #three cannot/);
    // Existing rooms can still be joined, and the lobby is always open.
    fay.send('/join #one');
    await eve.waitFor(/fay joined #one$/);
    const back = fay.lines.length;
    fay.send('/part');
    await fay.waitFor(/^<server> you are in #lobby/, { from: back });
  });

  it(
    'at the cap, an empty room in its grace period gives its place',
    { skip: skip ?? false },
    async () => {
      const r = raw as Redis;
      const longGrace = { ...options, prefix: `${prefix}:grace`, maxRooms: 1, roomGrace: 60 };
      const node = await startChat({ history: 5 }, new RedisBus(longGrace));
      servers.push(node);
      const gil = await join(node, 'gil');
      const hal = await join(node, 'hal');
      gil.send('/join #first');
      await gil.waitFor(/^<server> you are in #first/);
      const back = gil.lines.length;
      gil.send('/part');
      await gil.waitFor(/^<server> you are in #lobby/, { from: back });
      // #first is empty, in its 60 s grace period: it still counts, until someone needs its place.
      assert.notEqual(await r.zscore(`${prefix}:grace:rooms`, '#first'), null);
      hal.send('/join #second');
      await hal.waitFor(/^<server> you are in #second/);
      assert.equal(await r.zscore(`${prefix}:grace:rooms`, '#first'), null, '#first was forgotten');
      // A room with a member never gives its place.
      gil.send('/join #third');
      await gil.waitFor(/^<server> error: too many rooms open.*: #third cannot/);
      await deletePrefix(SHARED_REDIS_URL, `${prefix}:grace`);
    },
  );
});
