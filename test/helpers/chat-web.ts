/**
 * The browser chat's test rig: one chat hub served on a loopback TCP port (nc, the
 * TestClient) AND on a minimal HTTP server that routes `/chat` to the page and upgrades
 * `/chat/ws` to the endpoint's `accept` (what `serve --http` does, minus its Host and
 * Origin checks, which its own tests cover), plus a line-collecting `ws` client.
 */
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { MessageBus } from '../../src/services/chat/bus.js';
import type { ChatHubOptions } from '../../src/services/chat/hub.js';
import { chatWebEndpoint, type ChatWebOptions } from '../../src/services/chat/web-endpoint.js';
import type { WebEndpoint } from '../../src/services/service.js';
import { type ChatServerHandle, startChat } from '../integration/services/chat-harness.js';
import { until, WAIT_MS } from './wait.js';

/** A running chat on TCP and HTTP. */
export interface WebChatHandle extends ChatServerHandle {
  /** The HTTP port: the page is at `http://127.0.0.1:<httpPort>/chat`. */
  httpPort: number;
  pageUrl: string;
  wsUrl: string;
  endpoint: WebEndpoint;
  /** Server-side WebSockets open now (to drop them in a reconnect test). */
  sockets: Set<WebSocket>;
  /**
   * Resolves once at most `n` server-side sockets are open and their sessions' ends
   * have run (a per-address slot is free again).
   */
  socketsDownTo(n: number): Promise<void>;
}

/** The largest message the rig's WebSocketServer takes (what `serve --http` should set). */
export const TEST_MAX_PAYLOAD = 256 * 1024;

/** Starts a chat (TCP, as chat-harness's startChat) with the browser endpoint on HTTP. */
export async function startWebChat(
  options: Partial<ChatHubOptions> = {},
  web: ChatWebOptions = {},
  bus?: MessageBus,
): Promise<WebChatHandle> {
  const chat = await startChat(options, bus);
  const endpoint = chatWebEndpoint(chat.hub, { maxPerIp: 0, acceptRate: 0, ...web });
  const sockets = new Set<WebSocket>();
  const events = new EventEmitter();
  const wss = new WebSocketServer({ noServer: true, maxPayload: TEST_MAX_PAYLOAD });
  const server = http.createServer((req, res) => {
    if (req.url === '/chat' || req.url === '/chat/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(endpoint.page);
      return;
    }
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/chat/ws') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.once('close', () => {
        sockets.delete(ws);
        // After the endpoint's own close handling (it releases the address's slot).
        setImmediate(() => events.emit('closed'));
      });
      endpoint.accept(ws, req);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const httpPort = (server.address() as AddressInfo).port;
  return {
    ...chat,
    httpPort,
    pageUrl: `http://127.0.0.1:${httpPort}/chat`,
    wsUrl: `ws://127.0.0.1:${httpPort}/chat/ws`,
    endpoint,
    sockets,
    socketsDownTo: (n) =>
      until(() => sockets.size <= n, events, 'closed', { what: `${n} sockets open` }),
    async close() {
      await chat.close();
      for (const ws of sockets) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A `ws` client that collects the chat lines the server sends (messages split on CRLF). */
export class WsChatClient {
  readonly ws: WebSocket;
  readonly lines: string[] = [];
  /** Messages as received (each holds whole lines). */
  readonly messages: string[] = [];
  closed = false;
  closeCode = 0;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the chat sent a binary message');
      const text = (data as Buffer).toString('utf8');
      this.messages.push(text);
      if (!text.endsWith('\r\n')) throw new Error(`a message with a partial line: ${text}`);
      this.lines.push(...text.slice(0, -2).split('\r\n'));
      this.#wake();
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      this.#wake();
    });
  }

  static async connect(url: string, options: { autoPong?: boolean } = {}): Promise<WsChatClient> {
    const ws = new WebSocket(url, { autoPong: options.autoPong ?? true });
    const client = new WsChatClient(ws);
    await once(ws, 'open');
    return client;
  }

  /** Connects, waits for the join; with `nick`, renames and waits for its announcement. */
  static async join(url: string, nick?: string): Promise<WsChatClient> {
    const c = await WsChatClient.connect(url);
    await c.waitFor(/^<server> you are in #lobby/);
    if (nick !== undefined) {
      c.send(`/nick ${nick}`);
      await c.waitFor(new RegExp(`^<announce> ${nick} joined #lobby$`));
    }
    return c;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async #next(deadline: number, what: string): Promise<void> {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timeout waiting for ${what}; got:\n${this.lines.join('\n')}`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Waits until a line matches (from index `from`); returns its index. */
  async waitFor(
    pattern: RegExp,
    options: { from?: number; timeout?: number } = {},
  ): Promise<number> {
    const deadline = Date.now() + (options.timeout ?? WAIT_MS);
    for (;;) {
      const i = this.lines.findIndex((l, idx) => idx >= (options.from ?? 0) && pattern.test(l));
      if (i !== -1) return i;
      if (this.closed) throw new Error(`closed before ${pattern}; got:\n${this.lines.join('\n')}`);
      await this.#next(deadline, String(pattern));
    }
  }

  /** Waits until the connection is closed; returns the close code. */
  async waitClosed(timeout = WAIT_MS): Promise<number> {
    const deadline = Date.now() + timeout;
    while (!this.closed) await this.#next(deadline, 'the close');
    return this.closeCode;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ws.close();
    await this.waitClosed().catch(() => this.ws.terminate());
  }
}
