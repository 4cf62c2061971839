/**
 * Regression (issue 10, defect 3, memory bus): every room's history and topic was kept
 * for ever, so room hopping grew memory without bound and a newcomer to an "empty"
 * room was replayed old lines. Now rooms are capped (`maxRooms`), history is bounded in
 * lines and bytes (`history`, `historyBytes`), and a room nobody is in is forgotten
 * after `roomGrace` seconds (here 0: at once), with its history and topic.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULT_HUB_OPTIONS } from '../../src/services/chat/hub.js';
import { MemoryBus, MemoryChatStore } from '../../src/services/chat/memory-bus.js';

/** No rate limit: these clients send fast on purpose. */
const limits = { ...DEFAULT_HUB_OPTIONS.limits, rateLimit: 0 };
import {
  startChat,
  TestClient,
  type ChatServerHandle,
} from '../integration/services/chat-harness.js';

describe('chat memory bounds', () => {
  const servers: ChatServerHandle[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
  });

  it('forgets an empty room with its history and topic; a newcomer sees none of it', async () => {
    const store = new MemoryChatStore({ historyLimit: 20, roomGrace: 0 });
    const server = await startChat({ history: 20 }, new MemoryBus({ store }));
    servers.push(server);
    const a = await TestClient.join(server.port, 'alice');
    clients.push(a);
    a.send('/join #secret');
    await a.waitFor(/^<server> you are in #secret/);
    a.send('/topic old plans');
    await a.waitFor(/set the topic of #secret: old plans$/);
    a.send('an old line');
    a.send('/join #lobby');
    await a.waitFor(/^<server> you are in #lobby/, { from: a.lines.length - 1 });
    assert.equal(store.roomCount, 1, 'only #lobby is left');
    const b = await TestClient.join(server.port, 'bob');
    clients.push(b);
    b.send('/join #secret');
    const i = await b.waitFor(/^<server> you are in #secret/);
    assert.equal(b.lines[i], '<server> you are in #secret', 'no old topic');
    b.send('/who');
    await b.waitFor(/^<server> \d+ online/);
    assert.ok(!b.lines.some((l) => l.includes('an old line')), 'no old history');
  });

  it('caps the rooms: a join to one more room is refused with a notice', async () => {
    const store = new MemoryChatStore({ maxRooms: 3, roomGrace: 3600 });
    const server = await startChat({ maxRooms: 3 }, new MemoryBus({ store }));
    servers.push(server);
    const hoppers = await Promise.all(
      ['h0', 'h1', 'h2'].map((n) => TestClient.join(server.port, n)),
    );
    clients.push(...hoppers);
    for (const [i, c] of hoppers.entries()) {
      c.send(`/join #r${i}`);
      await c.waitFor(new RegExp(`^<server> you are in #r${i}`));
    }
    const d = await TestClient.join(server.port, 'dora');
    clients.push(d);
    d.send('/join #r9');
    await d.waitFor(/^<server> error: too many rooms open: #r9 cannot be opened now \(limit 3\)$/);
    // An existing room is still open to everyone; #lobby is always open.
    d.send('/join #r1');
    await d.waitFor(/^<server> you are in #r1/);
    assert.ok(store.roomCount <= 3 + 1);
    // An emptied room (in its grace period) gives its place to a new one.
    hoppers[0]?.send('/join #r1');
    await hoppers[0]?.waitFor(/^<server> you are in #r1/);
    d.send('/join #r9');
    await d.waitFor(/^<server> you are in #r9/);
    assert.ok(store.roomCount <= 3 + 1);
  });

  it('bounds history in lines and in bytes, whatever clients send', async () => {
    const store = new MemoryChatStore({ historyLimit: 50, historyBytes: 1000 });
    const server = await startChat({ history: 50, limits }, new MemoryBus({ store }));
    servers.push(server);
    const a = await TestClient.join(server.port, 'alice');
    clients.push(a);
    a.send('/echo on');
    const long = 'x'.repeat(300);
    for (let i = 0; i < 20; i += 1) a.send(`${i} ${long}`);
    await a.waitFor(/^<alice> 19 x+$/);
    const kept = store.history('#lobby', 100, '0-999999999');
    const bytes = kept.reduce((n, e) => n + e.event.text.length + e.event.nick.length, 0);
    assert.ok(bytes <= 1000, `${bytes} bytes kept`);
    assert.equal(kept.at(-1)?.event.text, `19 ${long}`, 'the newest lines are the ones kept');
    for (let i = 0; i < 120; i += 1) a.send(`short ${i}`);
    await a.waitFor(/^<alice> short 119$/);
    assert.equal(store.history('#lobby', 1000, '0-999999999').length, 50);
  });

  it('room hopping leaves at most maxRooms rooms behind', async () => {
    const store = new MemoryChatStore({ maxRooms: 10, roomGrace: 3600 });
    const server = await startChat({ maxRooms: 10, limits }, new MemoryBus({ store }));
    servers.push(server);
    const a = await TestClient.join(server.port, 'hopper');
    clients.push(a);
    for (let i = 0; i < 100; i += 1) {
      a.send(`/join #hop${i}`);
      a.send(`line in ${i}`);
    }
    a.send('/join #lobby');
    await a.waitFor(/^<server> you are in #lobby/, { from: 3 });
    assert.ok(store.roomCount <= 11, `${store.roomCount} rooms kept`);
  });
});
