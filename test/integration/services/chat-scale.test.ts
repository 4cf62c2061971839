import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryBus, MemoryChatStore } from '../../../src/services/chat/memory-bus.js';
import { type ChatServerHandle, checkRoomOrdering, startChat } from './chat-harness.js';

describe('chat with many clients', () => {
  const servers: ChatServerHandle[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('200 clients in 4 rooms: every message once, one order per room', async () => {
    const s = await startChat({ maxClients: 500 });
    servers.push(s);
    const checked = await checkRoomOrdering([s.port], 200, 4, 5);
    assert.equal(checked, 4 * 50 * 50 * 5);
  });

  it('two hubs sharing one bus agree on the order of each room', async () => {
    const store = new MemoryChatStore(100);
    const a = await startChat({}, new MemoryBus({ store }));
    const b = await startChat({}, new MemoryBus({ store }));
    servers.push(a, b);
    const checked = await checkRoomOrdering([a.port, b.port], 40, 2, 10);
    assert.equal(checked, 2 * 20 * 20 * 10);
  });
});
