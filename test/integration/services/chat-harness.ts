/**
 * Test harness for the chat: a loopback chat server and a line-collecting test client.
 * (Not a test file itself: the runner only runs `*.test.ts`.)
 */
import { once } from 'node:events';
import net from 'node:net';
import { TcpServer } from '../../../src/server/tcp-server.js';
import type { MessageBus } from '../../../src/services/chat/bus.js';
import { serveChatConnection } from '../../../src/services/chat/connection.js';
import { ChatHub, type ChatHubOptions } from '../../../src/services/chat/hub.js';
import { formatPeer } from '../../../src/services/chat/index.js';
import { MemoryBus } from '../../../src/services/chat/memory-bus.js';
import { WAIT_MS } from '../../helpers/wait.js';

export interface ChatServerHandle {
  port: number;
  hub: ChatHub;
  close(): Promise<void>;
}

/** Starts a hub on a loopback port (a plain node:net listener feeding serveChatConnection). */
export async function startChat(
  options: Partial<ChatHubOptions> = {},
  bus: MessageBus = new MemoryBus({ historyLimit: Math.max(options.history ?? 20, 1) }),
): Promise<ChatServerHandle> {
  const hub = new ChatHub(bus, options);
  await hub.start();
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    maxConnections: 10_000,
    // Load tests open hundreds of connections from 127.0.0.1: lift the per-address limits.
    maxConnectionsPerIp: 0,
    acceptRate: 0,
    handler: (conn, ctx) => serveChatConnection(hub, conn, formatPeer(ctx.remote), ctx.signal),
  });
  await server.listen();
  void server.serveForever();
  const address = server.address;
  const port = 'port' in address ? address.port : 0;
  return {
    port,
    hub,
    async close() {
      await hub.close();
      await server.shutdown({ drainTimeout: 2 });
    },
  };
}

/** A raw line client: collects every line the server sends. */
export class TestClient {
  readonly sock: net.Socket;
  readonly lines: string[] = [];
  #partial = '';
  #waiters: (() => void)[] = [];
  closed = false;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (s: string) => {
      const parts = (this.#partial + s).split('\r\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#wake();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number): Promise<TestClient> {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    return new TestClient(sock);
  }

  /**
   * Connects and waits for the welcome and the join to finish. With `nick`, renames
   * and waits until the room was told it arrived (its first command announces it);
   * without, the client only listens until it says something.
   */
  static async join(port: number, nick?: string): Promise<TestClient> {
    const c = await TestClient.connect(port);
    await c.waitFor(/^<server> you are in #lobby/);
    if (nick !== undefined) {
      c.send(`/nick ${nick}`);
      await c.waitFor(new RegExp(`^<announce> ${nick} joined #lobby$`));
    }
    return c;
  }

  send(line: string, eol = '\n'): void {
    this.sock.write(line + eol);
  }

  /** Waits until a line matches (searching from `from`); returns its index. */
  async waitFor(
    pattern: RegExp,
    options: { from?: number; timeout?: number } = {},
  ): Promise<number> {
    const deadline = Date.now() + (options.timeout ?? 10000);
    for (;;) {
      const i = this.lines.findIndex((l, idx) => idx >= (options.from ?? 0) && pattern.test(l));
      if (i !== -1) return i;
      if (this.closed) throw new Error(`closed before ${pattern}; got:\n${this.lines.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timeout waiting for ${pattern}; got:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until `cond()` holds, re-checked on each line received. */
  async waitUntil(cond: () => boolean, timeout = WAIT_MS, what = 'a condition'): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!cond()) {
      if (this.closed) throw new Error(`closed before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closes the connection. */
  async waitClosed(timeout = WAIT_MS): Promise<void> {
    if (this.closed) return;
    await Promise.race([
      once(this.sock, 'close'),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('not closed')), timeout).unref(),
      ),
    ]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.sock.end();
    await this.waitClosed().catch(() => this.sock.destroy());
  }
}

/** A generous pause for "nothing else arrives" checks. */
export const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Connects `clients` clients round-robin over `ports`, spreads them over `rooms` rooms,
 * has each send `messages` messages, and checks that every client of a room received
 * every message of that room once, in one order shared by all of them (echo on, so
 * senders see their own place in the order too).
 * @returns the number of message lines checked.
 */
export async function checkRoomOrdering(
  ports: readonly number[],
  clients: number,
  rooms: number,
  messages: number,
): Promise<number> {
  const all: TestClient[] = [];
  try {
    for (let i = 0; i < clients; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, clients - i) }, (_, k) =>
          TestClient.join(ports[(i + k) % ports.length] ?? 0),
        ),
      );
      all.push(...batch);
    }
    await Promise.all(
      all.map(async (c, i) => {
        c.send('/echo on');
        c.send(`/join #r${i % rooms}`);
        await c.waitFor(new RegExp(`^<server> you are in #r${i % rooms}`));
        // A barrier: everyone of the room must have joined before anyone talks.
      }),
    );
    await Promise.all(
      all.map(async (c, i) => {
        const room = `#r${i % rooms}`;
        const members = all.filter((_, j) => j % rooms === i % rooms).length;
        c.send(`/who ${room}`);
        await c.waitFor(new RegExp(`^<server> ${members} in ${room}:`));
      }),
    );
    const marks = all.map((c) => c.lines.length);
    all.forEach((c, i) => {
      let text = '';
      for (let m = 0; m < messages; m += 1) text += `c${i} m${m}\n`;
      c.sock.write(text);
    });
    let checked = 0;
    for (let r = 0; r < rooms; r += 1) {
      const members = all.map((c, i) => ({ c, i })).filter(({ i }) => i % rooms === r);
      const expected = members.length * messages;
      const seqs = await Promise.all(
        members.map(async ({ c, i }) => {
          const msgs = (): string[] =>
            c.lines.slice(marks[i]).filter((l) => /^<user\d+> c\d+ m\d+$/.test(l));
          await c.waitUntil(
            () => msgs().length >= expected,
            30000,
            `client ${i}: ${expected} messages`,
          );
          return msgs().map((l) => l.slice(l.indexOf('> ') + 2));
        }),
      );
      const first = seqs[0] ?? [];
      const senders = new Map<string, number>();
      for (const line of first) {
        const [sender = '', m = ''] = line.split(' ');
        const n = Number(m.slice(1));
        if ((senders.get(sender) ?? -1) !== n - 1)
          throw new Error(`room ${r}: ${line} out of sender order`);
        senders.set(sender, n);
      }
      if (new Set(first).size !== expected) throw new Error(`room ${r}: duplicates`);
      for (const s of seqs) {
        if (s.length !== expected || s.some((l, k) => l !== first[k])) {
          throw new Error(`room ${r}: clients disagree on the order`);
        }
        checked += s.length;
      }
    }
    return checked;
  } finally {
    for (const c of all) c.sock.destroy();
  }
}
