/**
 * Headless Chromium for the browser chat tests: Debian's `chromium` driven by
 * `puppeteer-core` (no browser download). Outside CI a missing Chromium skips LOUDLY;
 * under CI=true it fails (.ci/run installs it).
 *
 *     const why = chromiumMissing();
 *     if (why) return t.skip(why);
 *     const browser = await launchChromium(t);
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { inCI } from './needs.js';

/** The Chromium binary (CHROMIUM_PATH overrides Debian's). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let warned = false;

/** `false` when Chromium is there; else the skip reason (outside CI), or throws (CI). */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  const reason = `SKIPPED LOUDLY: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or run .ci/run)`;
  if (inCI) throw new Error(`CI=true but Chromium is missing — ${reason}`);
  if (!warned) {
    warned = true;
    process.stderr.write(`\n!!! ${reason} !!!\n`);
  }
  return reason;
}

/** Launches headless Chromium, closed after the test. */
export async function launchChromium(t?: TestContext): Promise<Browser> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Root (containers, CI) cannot use Chromium's sandbox.
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
    ],
  });
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
