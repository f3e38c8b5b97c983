/** Headless Chromium from Debian (/usr/bin/chromium) driven by playwright-core, for the UI tests. */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type Page, chromium } from 'playwright-core';
import { fromRoot } from '../../helpers/paths.js';
import { skipUnlessRequired } from '../../helpers/skip.js';

const CHROMIUM = '/usr/bin/chromium';

/** false, or why UI tests are skipped. */
export const BROWSER_SKIP = skipUnlessRequired(existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium package (.ci/provision.sh does) to run the UI tests`);

/** Screenshots land here: $TELEM_TEST_ARTIFACTS, else dist/test-artifacts/. */
export function artifactPath(name: string): string {
  const dir = process.env.TELEM_TEST_ARTIFACTS ?? fromRoot('dist', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

/** A page in a fresh headless browser, closed after the test; `problems` collects script errors and failed loads. */
export async function openPage(t: TestContext): Promise<{ page: Page; problems: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return { page, problems };
}

/** A page of a shared browser, with what went wrong on it: script errors, failed loads and CSP violations (`problems`), and dialogs (dismissed). */
export interface WatchedPage {
  readonly page: Page;
  readonly problems: string[];
  readonly dialogs: string[];
}

/**
 * One headless browser for a test file, closed after the test; each newPage is a fresh context (no
 * cookies). bypassCSP: the page's Content-Security-Policy is not enforced, to show that the page is
 * safe by how it renders, not only because the CSP stops what would run.
 */
export async function launchBrowser(t: TestContext): Promise<{ newPage(options?: { bypassCSP?: boolean }): Promise<WatchedPage> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.after(() => browser.close());
  return {
    async newPage(options = {}) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: options.bypassCSP ?? false });
      const problems: string[] = [];
      const dialogs: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('dialog', (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      return { page, problems, dialogs };
    },
  };
}
