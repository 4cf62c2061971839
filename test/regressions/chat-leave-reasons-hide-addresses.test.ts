/**
 * Regression (issue 10, defect 8): a reset connection was announced to the room with
 * the client's address (`left #lobby (connection reset during read by peer
 * 127.0.0.1:42064)`). The room now reads a generic reason; the address goes to the
 * server's log only (the `socketkit:chat:lost` channel, written by `serve`).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { logChatEvents } from '../../src/services/chat/index.js';
import {
  startChat,
  TestClient,
  type ChatServerHandle,
} from '../integration/services/chat-harness.js';

describe('chat leave reasons', () => {
  let server: ChatServerHandle;
  const clients: TestClient[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it('a reset is announced without the address, which only the log sees', async () => {
    server = await startChat();
    const logged: string[] = [];
    const stop = logChatEvents(server.hub, (_level, message) => logged.push(message));
    try {
      const watcher = await TestClient.join(server.port, 'watcher');
      const victim = await TestClient.join(server.port, 'victim');
      clients.push(watcher, victim);
      const port = victim.sock.localPort;
      victim.sock.resetAndDestroy();
      const i = await watcher.waitFor(/^<announce> victim left #lobby/);
      assert.equal(watcher.lines[i], '<announce> victim left #lobby (connection lost)');
      assert.ok(!watcher.lines.some((l) => l.includes('127.0.0.1') || l.includes(String(port))));
      assert.ok(
        logged.some((l) => l.includes('victim') && l.includes(`127.0.0.1:${port}`)),
        logged.join('\n'),
      );
    } finally {
      stop();
    }
  });
});
