/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Functions passed to page.evaluate run in the browser: DOM types.)
/**
 * The dashboard in a real browser (headless Chromium, test/helpers/browser.ts): it shows
 * every listener of a running `serve`, its request counter rises by exactly the load sent,
 * it needs the token when one is set (and `?token=` logs a browser in), and it fits a
 * phone's screen, and text from the network (addresses, errors, room names) is shown as
 * text, never run as HTML. Waits on the page's own updates (waitForFunction), never on
 * sleeps.
 */
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { buildHttpPlan, HTTP_FLAG_NAMES } from '../../../src/cli/serve/http/http-plan.js';
import { startHttpSide } from '../../../src/cli/serve/http/http-side.js';
import { ServeMetrics } from '../../../src/cli/serve/http/serve-metrics.js';
import { launchBrowser, needsBrowser, openPage } from '../../helpers/browser.js';
import { WAIT_MS } from '../../helpers/wait.js';
import { startServe } from '../services/helpers/serve-harness.js';
import { dashboardPort, echoLoad } from './helpers/http-side.js';

/** The number a listener row shows in `field` (its data-value), or -1 while it has none. */
function cell(page: Page, key: string, field: string): Promise<number> {
  return page.evaluate(
    (k, f) => {
      const td = document.querySelector(`tr[data-key="${k}"] td[data-field="${f}"]`);
      return td instanceof HTMLElement ? Number(td.dataset.value) : -1;
    },
    key,
    field,
  );
}

test(
  'the dashboard shows every listener and its counter rises by the load sent',
  { skip: needsBrowser() },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'socketkit-dash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const run = await startServe([
      'echo',
      '-p',
      '0',
      '--unix',
      join(dir, 'echo.sock'),
      '--http',
      '0',
      '--accept-rate',
      '0',
      '-q',
    ]);
    t.after(() => run.stop());
    const port = dashboardPort(run.rows);
    const tcp = run.rows.find((r) => r.service === 'echo' && r.transport === 'tcp')?.port ?? 0;
    const browser = await launchBrowser(t);
    const { page, errors } = await openPage(browser);
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');

    // Every listener of the table has its row, with its address.
    const listeners = run.rows.filter((r) => r.service === 'echo');
    assert.equal(listeners.length, 3, 'tcp, udp and unix');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#listeners tr').length >= n,
      {},
      listeners.length,
    );
    const shown = await page.$$eval('#listeners tr', (trs) =>
      trs.map((tr) => [
        (tr as HTMLElement).dataset.key,
        tr.querySelector('td[data-field="address"]')?.textContent,
      ]),
    );
    for (const l of listeners)
      assert.ok(
        shown.some(([key, address]) => key === `echo/${l.transport}` && address === l.address),
        `row for ${l.transport} ${l.address} in ${JSON.stringify(shown)}`,
      );

    const before = await cell(page, 'echo/tcp', 'requests');
    assert.ok(before >= 0);
    await echoLoad(tcp, 1000);
    // The page updates once a second: wait for it to show the load (bounded by WAIT_MS).
    await page.waitForFunction(
      (target) => {
        const td = document.querySelector('tr[data-key="echo/tcp"] td[data-field="requests"]');
        return td instanceof HTMLElement && Number(td.dataset.value) >= target;
      },
      { timeout: WAIT_MS },
      before + 1000,
    );
    assert.equal(await cell(page, 'echo/tcp', 'requests'), before + 1000);
    // The chart has points and nothing on the page failed.
    const drawn = await page.$eval('#chart', (c) => (c as HTMLCanvasElement).width > 0);
    assert.ok(drawn);
    assert.deepEqual(errors, []);
  },
);

test(
  'on a phone-sized screen the dashboard needs no sideways scrolling',
  { skip: needsBrowser() },
  async (t) => {
    const run = await startServe(['echo', '-p', '0', '--http', '0', '-q']);
    t.after(() => run.stop());
    const port = dashboardPort(run.rows);
    const browser = await launchBrowser(t);
    const { page, errors } = await openPage(browser, { width: 390, height: 844 });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => document.querySelectorAll('#listeners tr').length >= 2);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    // A row keeps the columns on a phone, every one inside the screen: service,
    // transport and address (in the first cell), open connections, rates in and out.
    // (No named function inside evaluate: the test's transpiler would wrap it in __name.)
    const row = await page.evaluate(() => {
      const tr = document.querySelector('tr[data-key="echo/tcp"]');
      const width = document.documentElement.clientWidth;
      const [open, rateIn, rateOut] = ['open', 'rateIn', 'rateOut'].map((field) => {
        const e = tr?.querySelector(`td[data-field="${field}"]`);
        return (
          e instanceof HTMLElement && e.offsetWidth > 0 && e.getBoundingClientRect().right <= width
        );
      });
      return {
        first: (tr?.querySelector('td')?.innerText ?? '').replace(/\s+/g, ' '),
        open,
        rateIn,
        rateOut,
      };
    });
    assert.match(row.first, /^echo ?\/tcp 127\.0\.0\.1:\d+$/, row.first);
    assert.deepEqual(
      { ...row, first: true },
      { first: true, open: true, rateIn: true, rateOut: true },
    );
    assert.deepEqual(errors, []);
  },
);

test(
  'with a token file the page needs the token; ?token= logs the browser in',
  { skip: needsBrowser() },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'socketkit-dash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const token = 'browser-token-0123456789abcdef';
    writeFileSync(join(dir, 'token'), token);
    const run = await startServe([
      'echo',
      '--tcp',
      '-p',
      '0',
      '--http',
      '0',
      '--http-token-file',
      join(dir, 'token'),
      '-q',
    ]);
    t.after(() => run.stop());
    const port = dashboardPort(run.rows);
    const browser = await launchBrowser(t);
    const { page } = await openPage(browser);
    const refused = await page.goto(`http://127.0.0.1:${port}/`);
    assert.equal(refused?.status(), 401);
    await page.goto(`http://127.0.0.1:${port}/?token=${token}`);
    assert.equal(page.url(), `http://127.0.0.1:${port}/`, 'the token is gone from the address bar');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'live');
    await page.waitForFunction(() => document.querySelectorAll('#listeners tr').length >= 1);
    // The cookie is HttpOnly: the page's script cannot read it.
    assert.equal(await page.evaluate(() => document.cookie), '');
  },
);

test(
  'text from the network is shown as text, never run as HTML',
  { skip: needsBrowser() },
  async (t) => {
    const metrics = new ServeMetrics({ maxRoomLabels: 5, chat: true });
    metrics.attach();
    t.after(() => metrics.detach());
    const hostile = '<img src=x onerror="window.__pwned=1">';
    const server = { connections: 0 };
    metrics.track(server, { service: 'echo', transport: 'tcp' });
    const plan = buildHttpPlan({ port: 0 }, (k) => HTTP_FLAG_NAMES[k]);
    const side = await startHttpSide(plan, metrics, []);
    t.after(() => side.close());
    channel('socketkit:server:listening').publish({
      server,
      address: { family: 'unix', path: `/tmp/${hostile}` },
      transport: 'unix',
    });
    channel('socketkit:server:error').publish({
      error: new Error(hostile),
      phase: 'handler',
      server,
    });
    channel('socketkit:chat:room').publish({ room: `#${hostile}`, members: 1, node: 'n' });
    const browser = await launchBrowser(t);
    const { page, errors } = await openPage(browser);
    await page.goto(`http://127.0.0.1:${side.port}/`);
    await page.waitForFunction(() =>
      (document.querySelector('#recent li')?.textContent ?? '').includes('onerror'),
    );
    await page.waitForFunction(() => document.querySelectorAll('#rooms li').length === 1);
    // The listener rows come from the feed's once-a-second sample: the first may predate
    // the listening event published above.
    await page.waitForFunction(
      () => (document.querySelector('td[data-field="address"]')?.textContent ?? '') !== '',
    );
    const seen = await page.evaluate(() => ({
      recent: document.querySelector('#recent li')?.textContent ?? '',
      room: document.querySelector('#rooms li')?.textContent ?? '',
      address: document.querySelector('td[data-field="address"]')?.textContent ?? '',
      images: document.querySelectorAll('img').length,
      pwned: (window as unknown as { __pwned?: number }).__pwned,
    }));
    assert.ok(seen.recent.includes(hostile), seen.recent);
    assert.ok(seen.room.includes(`#${hostile}`), seen.room);
    assert.equal(seen.address, `/tmp/${hostile}`);
    assert.equal(seen.images, 0);
    assert.equal(seen.pwned, undefined);
    assert.deepEqual(errors, []);
  },
);
