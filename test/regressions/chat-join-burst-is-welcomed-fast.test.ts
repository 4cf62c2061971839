/**
 * Regression (issue 10, defect 10, chat part): a burst of 5000 connections is welcomed
 * in a few seconds, not at ~70 joins/s. The cause was quadratic: every arrival was
 * announced to everyone already in #lobby (5000 arrivals × up to 5000 members = 12.5
 * million lines). A client is now announced on its first valid line, so silent
 * arrivals cost O(1) each.
 *
 * In-process server (no per-address cap in the way: every client is 127.0.0.1).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { startChat, type ChatServerHandle } from '../integration/services/chat-harness.js';

const CLIENTS = 5000;
/** Connections opened at once (bounded, so the listen backlog is not the test). */
const WAVE = 250;

/** Connects and resolves once the "you are in #lobby" line arrived. */
function connectWelcomed(port: number, sockets: net.Socket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    sockets.push(sock);
    let text = '';
    const timer = setTimeout(() => reject(new Error('no welcome within 60 s')), 60_000);
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      text += s;
      if (text.includes('<server> you are in #lobby')) {
        clearTimeout(timer);
        sock.removeAllListeners('data');
        sock.resume();
        resolve();
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('chat join burst', () => {
  let server: ChatServerHandle | undefined;
  const sockets: net.Socket[] = [];
  after(async () => {
    for (const s of sockets) s.destroy();
    await server?.close();
  });

  it(`welcomes ${CLIENTS} connections in a few seconds`, { timeout: 120_000 }, async () => {
    server = await startChat({ maxClients: CLIENTS + 10 });
    const port = server.port;
    const started = performance.now();
    for (let i = 0; i < CLIENTS; i += WAVE) {
      await Promise.all(
        Array.from({ length: Math.min(WAVE, CLIENTS - i) }, () => connectWelcomed(port, sockets)),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    assert.equal(server.hub.size, CLIENTS);
    // ~70 joins/s before the fix (71 s for 5000); a loaded 2-core machine does it in a
    // few seconds now. The bound leaves room for a second test run beside this one.
    assert.ok(seconds < 30, `${CLIENTS} welcomed in ${seconds.toFixed(1)} s`);
    console.log(`# ${CLIENTS} clients welcomed in ${seconds.toFixed(2)} s`);
  });
});
