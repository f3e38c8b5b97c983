/**
 * The Builds and Machine checks tabs in headless Chromium: records and machines per build and OS
 * over creation time, the MCE and thermal views, and drag-to-zoom on a chart of the Charts tab
 * (reception time: since and until) and of the Builds tab (creation time). Screenshots are written
 * to dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { startTestCollector } from '../collector-helpers.js';
import { CREATED, DAY, postOnDay } from '../population-records.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

async function until<T>(read: () => Promise<T>, expected: T, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(value)}, not ${JSON.stringify(expected)}`);
  }
}

/** Drags across the chart `selector` from `from` to `to`, fractions of its plot's width. */
async function drag(page: Page, selector: string, from: number, to: number): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  assert.ok(box);
  const x = (fraction: number) => box.x + ((36 + (900 - 36) * fraction) / 900) * box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x(from), y);
  await page.mouse.down();
  await page.mouse.move(x((from + to) / 2), y);
  await page.mouse.move(x(to), y);
  await page.mouse.up();
}

test(
  'web UI builds and machine checks: the Builds tab charts records and machines per build over creation time and zooms into a range; the Machine checks tab shows MCE kinds and thermal events',
  { skip: BROWSER_SKIP, timeout: 90_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    for (const day of [0, 10, 20, 30, 40, 50]) {
      await postOnDay(collector, { machine_id: 'a'.repeat(32), build: day < 30 ? '39000' : '39010' }, day);
      await postOnDay(collector, { machine_id: 'b'.repeat(32), build: '22.04', system_name: 'ubuntu' }, day);
    }
    await postOnDay(collector, { machine_id: 'a'.repeat(32), build: '39010', classification: 'org.clearlinux/mce/corrected' }, 40);
    await postOnDay(collector, { machine_id: 'a'.repeat(32), build: '39010', classification: 'org.clearlinux/mce/UCNA' }, 41);
    await postOnDay(collector, { machine_id: 'c'.repeat(32), build: '39010', classification: 'org.clearlinux/mce/thermal' }, 42);

    const { page, problems } = await openPage(t);
    await page.goto(`${collector.url}#builds`);
    await page.locator('#tab-builds.active').waitFor();
    const builds = page.locator('#builds-view table.population-builds tbody tr');
    await until(
      () => builds.evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, 4).map((cell) => cell.textContent))),
      [
        ['clear-linux-os', '39010', '6', '2'],
        ['ubuntu', '22.04', '6', '1'],
        ['clear-linux-os', '39000', '3', '1'],
      ],
      'builds listed',
    );
    assert.deepEqual(
      await page
        .locator('#builds-view .legend')
        .first()
        .innerText()
        .then((text) => text.split(/\s+/)),
      ['22.04', '39000', '39010'],
    );
    await page.screenshot({ path: artifactPath('collector-ui-builds.png'), fullPage: true });

    // Every record counts, the machine checks too. The second half of the time: the creation range narrows to it, and only 39010 and 22.04 remain.
    await drag(page, '#builds-view .chart svg >> nth=0', 0.55, 0.99);
    await until(() => builds.evaluateAll((rows) => rows.map((row) => row.querySelectorAll('td')[1]?.textContent)), ['39010', '22.04'], 'builds after the zoom');
    const zoomed = new URL(page.url());
    assert.ok(Date.parse(zoomed.searchParams.get('created_since') ?? '') > (CREATED + 20 * DAY) * 1000, zoomed.href);
    assert.ok(Date.parse(zoomed.searchParams.get('created_until') ?? '') > (CREATED + 50 * DAY) * 1000, zoomed.href);
    assert.equal(zoomed.hash, '#builds');
    await page.click('#zoom-out');
    await until(() => builds.count(), 3, 'builds after zooming out');

    await page.click('nav button[data-tab="mce"]');
    await page.locator('#mce-view .mce-time svg').waitFor();
    assert.match(await page.locator('#mce-view .population-summary').first().innerText(), /^2 records from 1 machines/);
    assert.deepEqual(
      await page
        .locator('#mce-view .mce-time .legend')
        .innerText()
        .then((text) => text.split(/\s+/)),
      ['org.clearlinux/mce/corrected', 'org.clearlinux/mce/UCNA'],
    );
    assert.deepEqual(await page.locator('#mce-view table.population-machines').first().locator('tbody td').first().innerText(), 'a'.repeat(32));
    assert.match(await page.locator('#mce-view .population-summary').last().innerText(), /^1 records from 1 machines/);
    assert.equal((await page.locator('#mce-view .thermal-time circle').count()) > 0, true);
    await page.screenshot({ path: artifactPath('collector-ui-machine-checks.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);

test(
  'web UI zoom on the Charts tab: dragging across records over time sets absolute since and until in the address and the filter form; Zoom out clears them',
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    await postOnDay(collector, {}, 0);
    const { page, problems } = await openPage(t);
    await page.goto(`${collector.url}#charts`);
    await page.locator('#chart-severity svg rect').first().waitFor();
    await drag(page, '#chart-severity svg', 0.1, 0.9);
    await until(async () => new URL(page.url()).searchParams.has('until'), true, 'until in the address');
    const url = new URL(page.url());
    const since = Date.parse(url.searchParams.get('since') ?? '');
    const until_ = Date.parse(url.searchParams.get('until') ?? '');
    assert.ok(since <= Date.now() && until_ > since && until_ - since <= 3_600_000, url.href);
    assert.deepEqual([await page.locator('select[name="since"]').inputValue(), await page.locator('select[name="until"]').inputValue()], ['date', 'date']);
    await page.locator('#chart-severity svg rect').first().waitFor();
    await page.click('#zoom-out');
    await until(async () => [...new URL(page.url()).searchParams.keys()], [], 'the address after zooming out');
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);
