/**
 * Takes docs/img/chat.png: the browser chat page mid-conversation with another browser
 * and a TCP (nc-style) client, in headless Chromium (Debian's, through puppeteer-core).
 * Everything runs on 127.0.0.1, on ports the kernel picks.
 *
 *   node --import tsx scripts/screenshot-chat.ts [out.png]
 * @module
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Page } from 'puppeteer-core';
import { WebSocketServer } from 'ws';
import { createChat, serveChatConnection } from '../src/services/chat/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? resolve(ROOT, 'docs/img/chat.png'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const { hub, web } = await createChat({ bus: 'memory', webMaxPerIp: 0, webAcceptRate: 0 });
const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
const httpServer = http.createServer((req, res) => {
  if (req.url === '/chat') res.writeHead(200, { 'content-type': 'text/html' }).end(web.page);
  else res.writeHead(404).end();
});
httpServer.on('upgrade', (req, socket, head) => {
  if (req.url !== '/chat/ws') return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => web.accept(ws, req));
});
httpServer.listen(0, '127.0.0.1');
await once(httpServer, 'listening');
const httpPort = (httpServer.address() as AddressInfo).port;

// The terminal user: a raw TCP client, as `nc 127.0.0.1 PORT` would be.
const tcpServer = net.createServer((sock) => void serveChatConnection(hub, sock, 'nc'));
tcpServer.listen(0, '127.0.0.1');
await once(tcpServer, 'listening');
const nc = net.connect((tcpServer.address() as AddressInfo).port, '127.0.0.1');
nc.resume();
await once(nc, 'connect');

const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu'],
});

async function until(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    (sel: string, t: string) =>
      (
        globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string } | null };
        }
      ).document
        .querySelector(sel)
        ?.textContent.includes(t) === true,
    { timeout: 30_000, polling: 'mutation' },
    selector,
    text,
  );
}

async function join(nick: string, width: number, height: number): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${httpPort}/chat`);
  await until(page, '#status', 'connected');
  await page.type('#nick', nick);
  await page.click('#nick-button');
  await until(page, '#you-nick', nick);
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.type('#say', text);
  await page.keyboard.press('Enter');
}

const line = (text: string): Promise<void> =>
  new Promise((resolveWrite) => nc.write(`${text}\n`, () => resolveWrite()));

try {
  await line('/nick nora');
  await line('/topic socketkit chat: nc, telnet and browsers in one room');
  await line('anyone here from a browser?');
  const alice = await join('alice', 1000, 620);
  const bob = await join('bob', 390, 700);
  await until(alice, '#members', 'bob');
  await say(alice, 'yes! this is the page at /chat, no install needed');
  await until(bob, '#log', 'no install needed');
  await say(bob, '/me waves from a second tab');
  await line('nice, I am on nc: same room, same lines');
  await until(alice, '#log', 'same room');
  await say(bob, 'and markup stays text: <img src=x onerror=alert(1)>');
  await until(alice, '#log', 'onerror');
  await line('/msg alice psst, private messages work too');
  await until(alice, '#log', 'psst');
  await say(alice, '/who');
  await until(alice, '#log', 'online:');
  mkdirSync(dirname(out), { recursive: true });
  await alice.screenshot({ path: out });
  if (process.env.CHAT_MOBILE_SHOT !== undefined) {
    // A phone-sized view, to check the layout (not committed).
    await bob.screenshot({ path: process.env.CHAT_MOBILE_SHOT });
  }
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  nc.destroy();
  await hub.close();
  tcpServer.close();
  for (const c of wss.clients) c.terminate();
  httpServer.closeAllConnections();
  httpServer.close();
}
