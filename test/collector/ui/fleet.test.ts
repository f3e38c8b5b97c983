/**
 * The web UI's Fleet page in headless Chromium: status records POSTed to a real collector show as
 * machines per channel and sequence by state, with the failure reasons, and each machine with its
 * sequence and state; the page's own filters narrow it. Screenshot: collector-ui-fleet.png in
 * dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { startTestCollector } from '../collector-helpers.js';
import { postStatus } from '../status-records.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;
const REASON = 'bundle-signature: no trusted key signed bundle 13';

/** Waits until the machines table has `count` rows (no page.waitForFunction: the page's CSP forbids its eval). */
async function machinesShown(page: Page, count: number): Promise<void> {
  const rows = page.locator('#fleet-table tbody tr');
  for (const deadline = Date.now() + 10_000; (await rows.count()) !== count; await sleep(50)) {
    if (Date.now() > deadline) assert.fail(`the machines table has ${await rows.count()} rows, not ${count}`);
  }
}

test(
  'web UI: the Fleet page shows each machine with its sequence and state, and per channel and sequence the machines by state and failure reasons',
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    await postStatus(collector, { machine: '0a11ce', created: T, active: 13, previous: 12, state: 'healthy' });
    await postStatus(collector, { machine: '0b0b', created: T + 1, active: 13, previous: 12, state: 'healthy' });
    await postStatus(collector, { machine: '0ca201', created: T + 2, active: 12, desired: 13, state: 'failed', lastFailed: { sequence: 13, reason: REASON } });
    await postStatus(collector, { machine: '0d0d', created: T + 3, channel: 'beta', active: 14, desired: 15, state: 'applying' });
    const { page, problems } = await openPage(t);

    await page.goto(collector.url);
    await page.locator('#record-table tbody tr').first().waitFor();
    await page.click('nav button[data-tab="fleet"]');
    await machinesShown(page, 4);
    assert.match(page.url(), /#fleet$/);
    assert.equal(await page.locator('#filters').isVisible(), false, 'the record filters are put away');

    const machine = page.locator('#fleet-table tbody tr[data-machine="0ca201"]');
    assert.equal(await machine.locator('td.sequence').innerText(), '12');
    assert.equal(await machine.locator('td.machine-state').innerText(), 'failed');
    assert.match(await machine.innerText(), new RegExp(`stable\\s+12\\s+failed\\s+11\\s+13\\s+13: ${REASON}\\s+0\\.1\\.0`));

    const groups = await page.locator('#fleet-groups tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').trim())));
    assert.deepEqual(groups, [
      ['beta', '14', '1', 'applying 1', ''],
      ['stable', '13', '2', 'healthy 2', `1 × ${REASON}`],
      ['stable', '12', '1', 'failed 1', ''],
    ]);
    assert.equal(await page.locator('#fleet-count').innerText(), '4 machines');
    await page.screenshot({ path: artifactPath('collector-ui-fleet.png'), fullPage: true });

    // The page's filters ask the API for less.
    await page.selectOption('#fleet-filters select[name="state"]', 'failed');
    await page.click('#fleet-filters button[type="submit"]');
    await machinesShown(page, 1);
    await page.selectOption('#fleet-filters select[name="state"]', '');
    await page.fill('#fleet-filters input[name="channel"]', 'beta');
    await page.click('#fleet-filters button[type="submit"]');
    // One machine was shown before this filter too (the failed one): wait for the beta one itself.
    await page.locator('#fleet-table tbody tr[data-machine="0d0d"]').waitFor();
    await machinesShown(page, 1);
    assert.equal(await page.locator('#fleet-table tbody tr td.machine_id').innerText(), '0d0d');

    // Opened at #fleet, the page starts on it; a new status shows on the next refresh.
    await postStatus(collector, { machine: '0a11ce', created: T + 100, active: 14, previous: 13, state: 'verifying' });
    await page.goto('about:blank');
    await page.goto(`${collector.url}#fleet`);
    await machinesShown(page, 4);
    assert.equal(await page.locator('#fleet-table tbody tr[data-machine="0a11ce"] td.machine-state').innerText(), 'verifying');
    assert.equal(await page.locator('#no-fleet').isVisible(), false);

    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);
