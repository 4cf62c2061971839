/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Functions passed to page.evaluate run in the browser: DOM types.)
/**
 * The browser chat end to end, against a real `socketkit serve chat --http` process (the
 * CLI from the sources, spawned): headless Chromium on its /chat page and the real `nc`
 * on its TCP port, in one room. Each sees the other's lines in the same order; a hostile
 * line renders as text; a nickname taken by the nc user is refused on the page; when the
 * server goes away (the process stops, dropping the WebSocket) the page says so and,
 * once a new process listens on the same ports, reconnects and takes its nickname back.
 * The in-process variants (two pages, more cases) are in
 * test/integration/services/chat-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chromiumMissing,
  joinAs,
  launchChromium,
  NcClient,
  openPage,
  pageMessages,
  say,
  waitMessages,
  waitText,
} from '../../helpers/chat-browser.js';
import { needs } from '../../helpers/needs.js';
import { dashboardPort, rawGet, rawUpgrade, spawnServeProcess } from './helpers/http-side.js';

const skip = chromiumMissing() || needs('nc');

test(
  'a real serve process: its /chat page and nc talk in one room; the page survives a server restart',
  { skip, timeout: 240_000 },
  async (t) => {
    const args = (chat: number, http: number): string[] => [
      'chat',
      '-p',
      String(chat),
      '--http',
      String(http),
      '--drain-timeout',
      '1',
    ];
    const first = await spawnServeProcess(t, args(0, 0));
    const chatPort = first.rows.find((r) => r.service === 'chat' && r.transport === 'tcp')?.port;
    assert.ok(chatPort, first.stdout());
    const httpPort = dashboardPort(first.rows);
    assert.ok(
      first.rows.some((r) => r.service === 'chat' && r.address.endsWith(`:${httpPort}/chat`)),
      `the table lists the chat page:\n${first.stdout()}`,
    );
    const url = `http://127.0.0.1:${httpPort}/chat`;

    // The page's headers: a CSP that allows nothing from elsewhere.
    const page = await rawGet(httpPort, '/chat');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.match(String(page.headers['content-security-policy']), /connect-src 'self'/);
    // The browser's favicon request gets an empty answer, not a 404; Host is still checked.
    assert.equal((await rawGet(httpPort, '/favicon.ico')).status, 204);
    assert.equal((await rawGet(httpPort, '/favicon.ico', { Host: 'evil.example' })).status, 421);
    assert.equal(
      (await rawGet(httpPort, '/favicon.ico', { Origin: 'http://evil.example' })).status,
      403,
    );
    // The chat's WebSocket takes only the page's own origin (and a Host of this server).
    const own = `http://127.0.0.1:${httpPort}`;
    assert.equal(await rawUpgrade(httpPort, '/chat/ws', { Origin: 'http://evil.example' }), 403);
    assert.equal(
      await rawUpgrade(httpPort, '/chat/ws', { Host: 'evil.example', Origin: own }),
      421,
    );

    const browser = await launchChromium(t);
    const errors: string[] = [];
    const alice = await joinAs(browser, url, 'alice', errors);
    const nc = new NcClient(t, chatPort);
    await nc.waitFor(/^<server> you are in #lobby/);
    nc.send('/nick nora');
    nc.send('/echo on');
    await nc.waitFor(/^<server> echo on$/);
    await waitText(alice, '#members', /alice.*nora/);

    // Both send at once: one order, the hub's, seen by both.
    const rounds = 5;
    await Promise.all([
      (async () => {
        for (let i = 0; i < rounds; i += 1) await say(alice, `a${i}`);
      })(),
      (async () => {
        for (let i = 0; i < rounds; i += 1) nc.send(`n${i}`);
      })(),
    ]);
    const total = 2 * rounds;
    await waitMessages(alice, total);
    const isChat = (l: string): boolean => /^<(alice|nora)> [an]\d$/.test(l);
    await nc.waitUntil(() => nc.lines.filter(isChat).length >= total, `${total} messages`);
    const fromNc = nc.lines.filter(isChat).map((l) => l.replace(/^<(\w+)> /, '$1: '));
    const fromPage = (await pageMessages(alice)).filter((m) => /^\w+: [an]\d$/.test(m));
    assert.equal(fromNc.length, total, fromNc.join('\n'));
    assert.deepEqual(fromPage, fromNc);
    for (const p of ['a', 'n']) {
      const own = fromNc.filter((m) => new RegExp(`: ${p}\\d$`).test(m)).map((m) => m.slice(-2));
      assert.deepEqual(
        own,
        Array.from({ length: rounds }, (_, i) => `${p}${i}`),
      );
    }

    // A hostile line from nc is shown as the characters it is.
    const hostile = '<img src=x onerror=alert(1)>';
    nc.send(hostile);
    await waitText(alice, '#log', /<img src=x onerror=alert\(1\)>/);
    const shown = await alice.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      texts: Array.from(document.querySelectorAll('#log li.msg .text')).map((e) => e.textContent),
    }));
    assert.equal(shown.imgs, 0);
    assert.ok(shown.texts.includes(hostile), JSON.stringify(shown.texts));

    // The nc user's nickname, asked for on a second page, is refused there.
    const second = await openPage(browser, url, errors);
    await waitText(second, '#status', /^connected$/);
    await second.type('#nick', 'Nora');
    await second.click('#nick-button');
    await waitText(second, '#nick-error', /taken/);
    assert.equal(
      await second.evaluate(() => document.getElementById('nick')?.getAttribute('aria-invalid')),
      'true',
    );
    await second.close();

    // The server goes away: the WebSocket drops, the page says so and keeps trying.
    assert.equal(await first.stop(), 0, first.stderr());
    await waitText(alice, '#status', /reconnecting/);
    await waitText(alice, '#log', /connection lost: reconnecting in \d+ s…/);
    // A new process on the same ports: the page reconnects, says so, takes its nickname back.
    const again = await spawnServeProcess(t, args(chatPort, httpPort));
    t.after(() => again.stop());
    await waitText(alice, '#status', /^reconnected$/);
    await waitText(alice, '#log', /reconnected/);
    await waitText(alice, '#you-nick', /^alice$/);
    const nc2 = new NcClient(t, chatPort);
    await nc2.waitFor(/^<server> you are in #lobby/);
    nc2.send('/nick nora');
    await nc2.waitFor(/nora/);
    await waitText(alice, '#members', /alice.*nora/);
    await say(alice, 'back again');
    await nc2.waitFor(/^<alice> back again$/);
    nc2.send('welcome back');
    await waitText(alice, '#log', /welcome back/);
    assert.deepEqual(errors, []);
  },
);
