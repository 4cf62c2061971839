import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisBus } from '../../../src/services/chat/redis-bus.js';
import { type ChatServerHandle, checkRoomOrdering, startChat, TestClient } from './chat-harness.js';
import {
  deletePrefix,
  redisSkipReason,
  SHARED_REDIS_URL,
  uniquePrefix,
} from './chat-redis-harness.js';

describe('chat over Redis: two nodes form one chat', async () => {
  const skip = await redisSkipReason();
  const prefix = uniquePrefix();
  let a: ChatServerHandle;
  let b: ChatServerHandle;
  const clients: TestClient[] = [];
  const join = async (server: ChatServerHandle, nick?: string): Promise<TestClient> => {
    const c = await TestClient.join(server.port, nick);
    clients.push(c);
    return c;
  };

  before(async () => {
    if (skip) return;
    const bus = () => new RedisBus({ url: SHARED_REDIS_URL, prefix, historyLimit: 10 });
    a = await startChat({ history: 10 }, bus());
    b = await startChat({ history: 10 }, bus());
  });
  after(async () => {
    if (skip) return;
    for (const c of clients) c.sock.destroy();
    await Promise.all([a?.close(), b?.close()]);
    await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  it(
    'nicknames are unique across nodes; /who lists both nodes',
    {
      skip: skip ?? false,
    },
    async () => {
      const alice = await join(a, 'alice');
      const other = await join(b);
      other.send('/nick Alice');
      await other.waitFor(/^<server> error: nickname "Alice" is taken$/);
      other.send('/nick bob');
      await alice.waitFor(/^<announce> bob joined #lobby$/);
      other.send('/who');
      await other.waitFor(/^<server> \d+ online: .*alice \(#lobby\).*bob \(#lobby\)/);
      other.send('hi from b');
      await alice.waitFor(/^<bob> hi from b$/);
      alice.send('/msg bob private across nodes');
      await other.waitFor(/^\*alice\* private across nodes$/);
    },
  );

  it('history and topics are shared', { skip: skip ?? false }, async () => {
    const c = await join(a, 'carol');
    c.send('/join #shared');
    await c.waitFor(/you are in #shared/);
    c.send('/topic across nodes');
    c.send('first');
    c.send('second');
    await c.waitFor(/set the topic of #shared/);
    c.send('/who #shared'); // replies after the messages above were published
    await c.waitFor(/1 in #shared/);
    const d = await join(b, 'dave');
    d.send('/join #shared');
    await d.waitFor(/^<server> you are in #shared \(topic: across nodes\)$/);
    await d.waitFor(/^<history> <carol> second$/);
    assert.ok(d.lines.includes('<history> <carol> first'));
  });

  it('clients on two nodes see each room in one order', { skip: skip ?? false }, async () => {
    const checked = await checkRoomOrdering([a.port, b.port], 40, 2, 10);
    assert.equal(checked, 2 * 20 * 20 * 10);
  });
});
