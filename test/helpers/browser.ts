/**
 * Headless Chromium for the browser tests: Debian's `chromium` (or `SOCKETKIT_CHROMIUM`),
 * driven by puppeteer-core (which never downloads a browser).
 *
 *     test('the dashboard loads', { skip: needsBrowser() }, async (t) => {
 *       const browser = await launchBrowser(t);
 *       …
 *     });
 *
 * Outside CI a missing browser skips LOUDLY (the `needs()` rule: a `SKIPPED LOUDLY` reason
 * and a warning on stderr); under `CI=true` it fails, since .ci/run installs it.
 *
 * The browser may reach loopback only: `--host-resolver-rules` makes every name but
 * localhost unresolvable, and the background services that phone home are off.
 */
import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { needs, toolPath } from './needs.js';
import { WAIT_MS } from './wait.js';

/** Where the browser is: `SOCKETKIT_CHROMIUM`, else `chromium` on the PATH. */
export function chromiumPath(): string | undefined {
  const given = process.env.SOCKETKIT_CHROMIUM;
  if (given !== undefined && given !== '') {
    try {
      accessSync(given, constants.X_OK);
      return given;
    } catch {
      return undefined;
    }
  }
  return toolPath('chromium') ?? toolPath('chromium-browser');
}

/** `false` when a browser is there; else the loud skip reason (throws under CI=true). */
export function needsBrowser(): string | false {
  return chromiumPath() === undefined ? needs('chromium') : false;
}

/** Launches headless Chromium, closed when the test ends. */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await startBrowser();
  t.after(() => browser.close());
  return browser;
}

/** Launches headless Chromium; the caller closes it (a file-wide browser in `before()`). */
export async function startBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error(needs('chromium') || 'no chromium');
  const root = process.getuid?.() === 0;
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    timeout: WAIT_MS,
    protocolTimeout: WAIT_MS,
    args: [
      // Chromium refuses to run as root with its sandbox on (CI containers run as root).
      ...(root ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-domain-reliability',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]',
    ],
  });
  return browser;
}

/** A new page whose console errors and page errors are collected (a test can assert none). */
export async function openPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  page.setDefaultTimeout(WAIT_MS);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return { page, errors };
}
