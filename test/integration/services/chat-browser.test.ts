// The browser chat in a real browser: headless Chromium (puppeteer-core, Debian's
// binary) on the chat page, with the real `nc` in the same room. Skips LOUDLY without
// Chromium or nc outside CI; fails under CI=true.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
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
import { startWebChat } from '../../helpers/chat-web.js';
import { needs } from '../../helpers/needs.js';

/** The page's globals, as much of the DOM as the callbacks below use (no DOM lib here). */
interface PageElement {
  readonly textContent: string | null;
  readonly innerText: string;
  readonly offsetHeight: number;
  readonly hidden: boolean;
  readonly disabled: boolean;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  getElementById(id: string): PageElement | null;
};

const skip = chromiumMissing() || needs('nc');

describe('browser chat in headless Chromium', { skip, timeout: 180_000 }, () => {
  // One browser for the file (a launch takes a second or two); a page per participant.
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser.close());

  it('two pages and nc talk in one room, each seeing the same order', async (t) => {
    const chat = await startWebChat();
    t.after(() => chat.close());
    const errors: string[] = [];
    const alice = await joinAs(browser, chat.pageUrl, 'alice', errors);
    const bob = await joinAs(browser, chat.pageUrl, 'bob', errors);
    const nc = new NcClient(t, chat.port);
    await nc.waitFor(/^<server> you are in #lobby/);
    nc.send('/nick nora');
    nc.send('/echo on');
    await nc.waitFor(/^<server> echo on$/);
    // The pages turn echo on themselves (a person expects to see their own lines).
    // The members list follows joins (nora joined after bob asked /who).
    await waitText(bob, '#members', /alice.*bob.*nora/);

    // Three senders at once: the room's order is whatever the hub made it, but one order.
    const rounds = 5;
    await Promise.all([
      (async () => {
        for (let i = 0; i < rounds; i += 1) await say(alice, `a${i}`);
      })(),
      (async () => {
        for (let i = 0; i < rounds; i += 1) await say(bob, `b${i}`);
      })(),
      (async () => {
        for (let i = 0; i < rounds; i += 1) nc.send(`n${i}`);
      })(),
    ]);
    const total = 3 * rounds;
    await waitMessages(alice, total);
    await waitMessages(bob, total);
    const isChat = (l: string): boolean => /^<(alice|bob|nora)> [abn]\d$/.test(l);
    await nc.waitUntil(() => nc.lines.filter(isChat).length >= total, `${total} messages`);
    const fromNc = nc.lines.filter(isChat).map((l) => l.replace(/^<(\w+)> /, '$1: '));
    const fromAlice = (await pageMessages(alice)).filter((m) => /^\w+: [abn]\d$/.test(m));
    const fromBob = (await pageMessages(bob)).filter((m) => /^\w+: [abn]\d$/.test(m));
    assert.equal(fromNc.length, total, fromNc.join('\n'));
    assert.deepEqual(fromAlice, fromNc);
    assert.deepEqual(fromBob, fromNc);
    // Each sender's own lines keep their order.
    for (const p of ['a', 'b', 'n']) {
      const own = fromNc.filter((m) => new RegExp(`: ${p}\\d$`).test(m)).map((m) => m.slice(-2));
      assert.deepEqual(
        own,
        Array.from({ length: rounds }, (_, i) => `${p}${i}`),
      );
    }
    assert.deepEqual(errors, []);
  });

  it('renders a hostile message as text, from a page and from nc', async (t) => {
    const chat = await startWebChat();
    t.after(() => chat.close());
    const errors: string[] = [];
    const alice = await joinAs(browser, chat.pageUrl, 'alice', errors);
    const bob = await joinAs(browser, chat.pageUrl, 'bob', errors);
    const nc = new NcClient(t, chat.port);
    await nc.waitFor(/^<server> you are in #lobby/);
    nc.send('/nick nora');
    await waitText(bob, '#log', /nora joined #lobby/);
    const hostile = '<img src=x onerror=alert(1)>';
    await say(alice, hostile);
    nc.send('<script>alert(2)</script><b>bold</b>');
    await waitText(bob, '#log', /<script>alert\(2\)<\/script><b>bold<\/b>/);
    await waitText(bob, '#log', /<img src=x onerror=alert\(1\)>/);
    const shown = await bob.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('#log script, #log b').length,
      texts: Array.from(document.querySelectorAll('#log li.msg .text')).map((e) => e.textContent),
    }));
    assert.equal(shown.imgs, 0);
    assert.equal(shown.scripts, 0);
    assert.ok(shown.texts.includes(hostile), JSON.stringify(shown.texts));
    // The text is visible, not just in the DOM.
    const visible = await bob.evaluate((h: string) => {
      const el = Array.from(document.querySelectorAll('#log li.msg .text')).find(
        (e) => e.textContent === h,
      );
      return el !== undefined && el.offsetHeight > 0 && el.innerText === h;
    }, hostile);
    assert.ok(visible, 'the hostile text is visible as text');
    assert.deepEqual(errors, []);
  });

  it('refuses a nickname conflict visibly on the page, then takes another', async (t) => {
    const chat = await startWebChat();
    t.after(() => chat.close());
    const errors: string[] = [];
    await joinAs(browser, chat.pageUrl, 'alice', errors);
    const page = await openPage(browser, chat.pageUrl, errors);
    await waitText(page, '#status', /^connected$/);
    await page.type('#nick', 'Alice');
    await page.click('#nick-button');
    await waitText(page, '#nick-error', /taken/);
    const state = await page.evaluate(() => ({
      error: document.getElementById('nick-error')?.textContent,
      formShown: document.getElementById('nick-form')?.hidden === false,
      sayDisabled: document.getElementById('say')?.disabled === true,
      invalid: document.getElementById('nick')?.getAttribute('aria-invalid'),
    }));
    assert.match(state.error ?? '', /^Nickname refused: nickname "Alice" is taken$/);
    assert.equal(state.formShown, true);
    assert.equal(state.sayDisabled, true);
    assert.equal(state.invalid, 'true');
    await page.click('#nick', { count: 3 });
    await page.type('#nick', 'carol');
    await page.click('#nick-button');
    await waitText(page, '#you-nick', /^carol$/);
    const after = await page.evaluate(() => ({
      formHeight: document.getElementById('nick-form')?.offsetHeight,
      errorHeight: document.getElementById('nick-error')?.offsetHeight,
      sayDisabled: document.getElementById('say')?.disabled,
    }));
    assert.deepEqual(after, { formHeight: 0, errorHeight: 0, sayDisabled: false });
    assert.deepEqual(errors, []);
  });

  it('reconnects after the server drops the socket, says so, and works again', async (t) => {
    const chat = await startWebChat();
    t.after(() => chat.close());
    const errors: string[] = [];
    const page = await joinAs(browser, chat.pageUrl, 'alice', errors);
    await say(page, '/join #dev');
    await waitText(page, '#room-name', /^#dev$/);
    const nc = new NcClient(t, chat.port);
    await nc.waitFor(/^<server> you are in #lobby/);
    nc.send('/nick nora');
    nc.send('/join #dev');
    await nc.waitFor(/^<server> you are in #dev/);
    for (const ws of chat.sockets) ws.terminate();
    await waitText(page, '#status', /reconnecting/);
    await waitText(page, '#log', /connection lost: reconnecting in \d+ s…/);
    await waitText(page, '#status', /^reconnected$/);
    // The page takes its nickname and room back.
    await waitText(page, '#you-nick', /^alice$/);
    await waitText(page, '#room-name', /^#dev$/);
    await nc.waitFor(/^<announce> alice joined #dev$/);
    await say(page, 'back again');
    await nc.waitFor(/^<alice> back again$/);
    nc.send('welcome back');
    await waitText(page, '#log', /welcome back/);
    assert.deepEqual(errors, []);
  });
});
