/**
 * Issue 10, defect 14: events read from Redis were trusted. A malformed entry threw in
 * the read loop and flapped the bus ("down"/"back") on every node; an entry with the
 * `server` nick forged a server line; raw escape sequences in its text reached nc users.
 * Now every field is checked: malformed entries are skipped (and reported, summarised,
 * on `socketkit:chat:bad-event`), and text is escaped like client input.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBus } from '../../src/services/chat/redis-bus.js';
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

describe('malformed events on the Redis bus', async () => {
  const skip = await redisSkipReason();
  const prefix = uniquePrefix();
  let server: ChatServerHandle | undefined;
  let raw: Redis | undefined;
  const clients: TestClient[] = [];
  const reports: Record<string, unknown>[] = [];
  const onBad = (m: unknown): void => {
    reports.push(m as Record<string, unknown>);
  };

  before(async () => {
    if (skip) return;
    subscribe('socketkit:chat:bad-event', onBad);
    raw = new Redis(SHARED_REDIS_URL);
    server = await startChat(
      { history: 10 },
      new RedisBus({ url: SHARED_REDIS_URL, prefix, historyLimit: 10, blockMs: 200 }),
    );
  });
  after(async () => {
    unsubscribe('socketkit:chat:bad-event', onBad);
    for (const c of clients) c.sock.destroy();
    await server?.close();
    raw?.disconnect();
    if (!skip) await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  it('are skipped without flapping; text is escaped', { skip: skip ?? false }, async () => {
    const viewer = await TestClient.join(server?.port ?? 0, 'viewer');
    clients.push(viewer);
    const r = raw as Redis;
    const events = `${prefix}:events`;
    const ok = (over: Record<string, unknown>): string =>
      JSON.stringify({
        kind: 'msg',
        room: '#lobby',
        nick: 'mallory',
        text: 'x',
        origin: 'n/1',
        ...over,
      });
    const bad: string[][] = [
      ['e', 'null'],
      ['e', '[1,2]'],
      ['e', '{not json'],
      ['x', ok({})],
      ['e', ok({ kind: 'evil' })],
      ['e', ok({ nick: 'server', text: 'forged server line' })],
      ['e', ok({ nick: 'Server', text: 'forged server line' })],
      ['e', ok({ nick: 'ann\u001b[2Jounce' })],
      ['e', ok({ nick: 42 })],
      ['e', ok({ room: 'lobby' })],
      ['e', ok({ room: '#Lobby' })],
      ['e', ok({ text: { toString: 1 } })],
      ['e', ok({ kind: 'private', to: 7 })],
      ['e', ok({ kind: 'nick', text: 'server' })],
      ['e', ok({ origin: 'has space/1' })],
      ['e', ok({ text: 'y'.repeat(70 * 1024) })],
    ];
    for (const fields of bad) await r.xadd(events, '*', ...fields);
    await r.xadd(
      events,
      '*',
      'e',
      ok({ text: 'clear \u001b[2J bell \u0007 csi \u009b31m end', nick: 'mallory' }),
    );
    await viewer.waitFor(/^<mallory> clear /);
    const line = viewer.lines.find((l) => l.startsWith('<mallory> clear ')) ?? '';
    assert.equal(line, '<mallory> clear \\x1b[2J bell \\x07 csi \\x9b31m end');
    for (const l of viewer.lines) {
      assert.ok(
        !/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(l),
        `raw control in ${JSON.stringify(l)}`,
      );
      assert.ok(!l.includes('forged'), `forged line delivered: ${l}`);
      assert.ok(!l.includes('chat bus is down'), `the bus flapped: ${l}`);
    }
    assert.ok(reports.length >= 1, 'reported');
    assert.match(String(reports[0]?.reason), /JSON object/);
    assert.equal(typeof reports[0]?.id, 'string', 'the entry is named');
    // Each skip is reported; the log summarises them (serve's one repeat summary: see
    // serve-summarises-chat-slow-consumer-cuts for the mechanism).
    assert.ok(reports.length <= bad.length, `${reports.length} reports for ${bad.length} entries`);
  });

  it('history entries are checked too', { skip: skip ?? false }, async () => {
    const r = raw as Redis;
    const history = `${prefix}:history:#lobby`;
    await r.xadd(
      history,
      '*',
      'e',
      JSON.stringify({
        kind: 'msg',
        room: '#lobby',
        nick: 'server',
        text: 'old forged',
        origin: 'n/1',
      }),
    );
    await r.xadd(
      history,
      '*',
      'e',
      JSON.stringify({
        kind: 'msg',
        room: '#lobby',
        nick: 'eve',
        text: 'old \u001b]0;title\u0007',
        origin: 'n/1',
      }),
    );
    // History is what came before an event delivered live: one more live event.
    const viewer = clients[0] as TestClient;
    await r.xadd(
      `${prefix}:events`,
      '*',
      'e',
      JSON.stringify({ kind: 'msg', room: '#lobby', nick: 'eve', text: 'live', origin: 'n/1' }),
    );
    await viewer.waitFor(/^<eve> live$/);
    const newcomer = await TestClient.join(server?.port ?? 0);
    clients.push(newcomer);
    await newcomer.waitFor(/^<history> <eve> old /);
    assert.ok(
      newcomer.lines.includes('<history> <eve> old \\x1b]0;title\\x07'),
      newcomer.lines.join('\n'),
    );
    assert.ok(!newcomer.lines.some((l) => l.includes('forged')));
  });
});
