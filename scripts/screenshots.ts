/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Functions passed to page.evaluate run in the browser: DOM types.)
/**
 * `npm run screenshots`: saves docs/img/dashboard.png (desktop) and
 * docs/img/dashboard-phone.png (a phone's width) of the live dashboard, with a little
 * traffic so there is something to see. Runs `socketkit serve` in-process on loopback
 * ports the system picks, drives it with a bounded load (echo round trips, a few chat
 * users, connections a deny rule refuses) for about 40 seconds, and photographs the page
 * in headless Chromium (puppeteer-core, /usr/bin/chromium or SOCKETKIT_CHROMIUM).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import puppeteer from 'puppeteer-core';
import { startServe } from '../test/integration/services/helpers/serve-harness.js';

const chromium = process.env.SOCKETKIT_CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'socketkit-shots-'));
const config = join(dir, 'socketkit.yaml');
writeFileSync(
  config,
  `host: 127.0.0.1
services:
  - { service: echo, port: 0, acceptRate: 0 }
  - { service: daytime, port: 0 }
  - { service: qotd, port: 0, transports: [tcp], allow: [10.0.0.0/8] }
  - { service: chat, port: 0 }
http:
  port: 0
`,
);
const run = await startServe(['--config', config, '-q']);
const port = (name: string, transport = 'tcp'): number =>
  run.rows.find((r) => r.service === name && r.transport === transport)?.port ?? 0;
const dashboard = port('dashboard', 'http');

function roundTrip(p: number, line: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(p, '127.0.0.1', () => s.write(line));
    s.on('data', () => s.end());
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

const chatters: Socket[] = [];
function chatter(nick: string, room: string): Socket {
  const s = connect(port('chat'), '127.0.0.1', () => {
    s.write(`/nick ${nick}\r\n/join ${room}\r\n`);
  });
  s.on('error', () => {});
  s.resume();
  chatters.push(s);
  return s;
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: [
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  ],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${dashboard}/`);
  const rooms = ['#lobby', '#general', '#general', '#random', '#general', '#ops'];
  const nicks = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  // ~40 s of varying load, bounded: at most 40 rounds of at most 60 round trips.
  for (let round = 0; round < 40; round++) {
    const n = 10 + Math.round(25 * (1 + Math.sin(round / 5)));
    await Promise.all(
      Array.from({ length: n }, (_, i) => roundTrip(port('echo'), `hello ${round}.${i}\n`)),
    );
    if (round < nicks.length) chatter(nicks[round] ?? 'x', rooms[round] ?? '#lobby');
    if (round % 3 === 0) chatters[round % chatters.length]?.write(`message ${round}\r\n`);
    if (round % 8 === 0) await roundTrip(port('qotd'), '');
    await sleep(1000);
  }
  await page.waitForFunction(() => document.querySelectorAll('#rooms li').length >= 3);
  await page.screenshot({ path: 'docs/img/dashboard.png', fullPage: true });
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true });
  await sleep(1500);
  await page.screenshot({ path: 'docs/img/dashboard-phone.png' });
  console.log('wrote docs/img/dashboard.png and docs/img/dashboard-phone.png');
} finally {
  await browser.close();
  for (const s of chatters) s.destroy();
  await run.stop();
  rmSync(dir, { recursive: true, force: true });
}
