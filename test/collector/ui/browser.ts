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
