/**
 * Regression (issue 10, defect 4): under load the chat dropped lines it had read ("the
 * server is busy: line dropped") once 64 lines of one client waited to be published.
 * It now stops reading from that client instead (TCP flow control slows the sender)
 * and never drops an accepted line; only the operator's rate limit drops, with a notice.
 *
 * A generator keeps up to WINDOW lines in flight per sender (sent, not yet seen back),
 * and every client checks it received every sender's every line once, in order.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { startChat, type ChatServerHandle } from '../integration/services/chat-harness.js';

const CLIENTS = 30;
const SENDERS = 6;
const LINES = 3000;
const WINDOW = 200;

/** A client that counts `s<k> <n>` lines per sender and checks their order. */
class Receiver {
  readonly sock: net.Socket;
  readonly next = new Array<number>(SENDERS).fill(0);
  readonly problems: string[] = [];
  busy = 0;
  joins = 0;
  entered = false;
  #partial = '';
  #onLine: (() => void) | null = null;

  constructor(sock: net.Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      const parts = (this.#partial + s).split('\r\n');
      this.#partial = parts.pop() ?? '';
      for (const line of parts) this.#line(line);
      this.#onLine?.();
    });
  }

  #line(line: string): void {
    if (line.startsWith('<server> you are in #lobby')) this.entered = true;
    if (line.includes('busy') || line.includes('dropped')) this.busy += 1;
    if (/^<announce> c\d+ joined #lobby$/.test(line)) this.joins += 1;
    const m = /^<\S+> s(\d+) (\d+)$/.exec(line);
    if (m === null) return;
    const k = Number(m[1]);
    const n = Number(m[2]);
    if (n !== this.next[k]) this.problems.push(`sender ${k}: got ${n}, expected ${this.next[k]}`);
    this.next[k] = n + 1;
  }

  /** Resolves when `cond` holds (checked after every read), or rejects after `ms`. */
  until(cond: () => boolean, ms: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#onLine = null;
        reject(new Error(`${what}: ${this.next.join(',')}; ${this.problems.slice(0, 3)}`));
      }, ms);
      this.#onLine = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.#onLine = null;
        resolve();
      };
    });
  }
}

async function connect(port: number): Promise<Receiver> {
  const sock = net.connect(port, '127.0.0.1');
  const r = new Receiver(sock);
  await r.until(() => r.entered, 10_000, 'welcome');
  return r;
}

describe('chat under load', () => {
  let server: ChatServerHandle | undefined;
  const clients: Receiver[] = [];
  after(async () => {
    for (const c of clients) c.sock.destroy();
    await server?.close();
  });

  it(
    'delivers every accepted line to every member, in order, with many in flight',
    { timeout: 120_000 },
    async () => {
      server = await startChat({
        maxClients: 100,
        limits: { rateLimit: 0, rateBurst: 1, maxQueueBytes: 8 * 1024 * 1024 } as never,
      });
      const port = server.port;
      for (let i = 0; i < CLIENTS; i += 1) clients.push(await connect(port));
      // Every client says something first, so all are announced members of #lobby: the
      // last one's arrival, seen by everyone, is the barrier.
      for (const [i, c] of clients.entries()) c.sock.write(`/nick c${i}\n/echo on\n`);
      await Promise.all(clients.map((c) => c.until(() => c.joins >= CLIENTS, 30_000, 'joins')));
      // Senders keep WINDOW lines in flight: sent minus seen back (echo on).
      await Promise.all(
        clients.slice(0, SENDERS).map(async (c, k) => {
          let sent = 0;
          while (sent < LINES) {
            const room = WINDOW - (sent - (c.next[k] ?? 0));
            if (room <= 0) {
              const target = sent - WINDOW / 2;
              await c.until(() => (c.next[k] ?? 0) >= target, 60_000, `sender ${k} stalled`);
              continue;
            }
            let text = '';
            const n = Math.min(room, LINES - sent);
            for (let i = 0; i < n; i += 1) text += `s${k} ${sent + i}\n`;
            sent += n;
            c.sock.write(text);
          }
        }),
      );
      await Promise.all(
        clients.map((c, i) =>
          c.until(() => c.next.every((n) => n === LINES), 60_000, `client ${i} incomplete`),
        ),
      );
      for (const [i, c] of clients.entries()) {
        assert.deepEqual(c.problems, [], `client ${i} saw lines out of order or missing`);
        assert.equal(c.busy, 0, `client ${i} was told a line was dropped`);
      }
    },
  );
});
