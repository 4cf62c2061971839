/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (Functions passed to page.evaluate run in the browser: DOM types.)
/**
 * Headless Chromium for the browser chat tests (launched by browser.ts: Debian's
 * `chromium` driven by `puppeteer-core`, no browser download), and the real `nc` as a
 * chat client beside it. Outside CI a missing Chromium skips LOUDLY; under CI=true it
 * fails (.ci/run installs it).
 *
 *     const why = chromiumMissing();
 *     if (why) return t.skip(why);
 *     const browser = await launchChromium(t);
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { needsBrowser, startBrowser } from './browser.js';
import { toolPath } from './needs.js';
import { WAIT_MS } from './wait.js';

/**
 * `false` when Chromium is there; else the loud skip reason (outside CI), or throws (CI).
 * The one lookup of browser.ts (`SOCKETKIT_CHROMIUM`, else `chromium` on the PATH).
 */
export const chromiumMissing = needsBrowser;

/** Launches headless Chromium (browser.ts's flags: loopback only), closed after the test. */
export async function launchChromium(t?: TestContext): Promise<Browser> {
  const browser = await startBrowser();
  t?.after(() => browser.close());
  return browser;
}

/**
 * A new page that fails the test on a script error or a dialog (an `alert()` would mean
 * the page ran text from the network as markup).
 */
export async function openPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => errors.push(`page error: ${String(err)}`));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/** The real nc as a chat client: lines in on stdin, every line out collected. */
export class NcClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  #partial = '';
  #waiters: (() => void)[] = [];

  constructor(t: TestContext, port: number) {
    this.child = spawn(toolPath('nc') ?? 'nc', ['127.0.0.1', String(port)]);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (s: string) => {
      const parts = (this.#partial + s).split('\r\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      const w = this.#waiters;
      this.#waiters = [];
      for (const f of w) f();
    });
    this.child.stderr.resume();
    t.after(() => {
      if (this.child.exitCode === null) this.child.kill();
    });
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  async waitFor(pattern: RegExp): Promise<void> {
    await this.waitUntil(() => this.lines.some((l) => pattern.test(l)), String(pattern));
  }

  /** Waits until `cond()` holds, re-checked on each chunk nc prints. */
  async waitUntil(cond: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nc: timeout waiting for ${what}:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Text of an element, waited for until `predicate` holds on it. */
export async function waitText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    (sel: string, source: string, flags: string) => {
      const el = document.querySelector(sel);
      return el !== null && new RegExp(source, flags).test(el.textContent ?? '');
    },
    { timeout: WAIT_MS, polling: 'mutation' },
    selector,
    pattern.source,
    pattern.flags,
  );
}

/** Opens the page and picks a nickname; resolves once the server accepted it. */
export async function joinAs(browser: Browser, url: string, nick: string, errors: string[]) {
  const page = await openPage(browser, url, errors);
  await waitText(page, '#status', /^connected$/);
  await page.type('#nick', nick);
  await page.click('#nick-button');
  await waitText(page, '#you-nick', new RegExp(`^${nick}$`));
  return page;
}

/** Types a line in the message box and sends it. */
export async function say(page: Page, text: string): Promise<void> {
  await page.waitForSelector('#say:not([disabled])', { timeout: WAIT_MS });
  await page.type('#say', text);
  await page.keyboard.press('Enter');
}

/** The messages shown in a page's log, as `nick: text`. */
export function pageMessages(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('#log li.msg')).map(
      (li) =>
        `${li.querySelector('.nick')?.textContent ?? ''}: ${li.querySelector('.text')?.textContent ?? ''}`,
    ),
  );
}

export async function waitMessages(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n: number) => document.querySelectorAll('#log li.msg:not(.history)').length >= n,
    { timeout: WAIT_MS, polling: 'mutation' },
    count,
  );
}
