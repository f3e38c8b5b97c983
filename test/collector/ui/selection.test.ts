/**
 * The web UI's selection in headless Chromium: the page's address carries every filter, the tab and
 * the open record (a permalink opened in a new page shows the same), severity takes several values,
 * the search box finds records by the words of their payload, creation and reception times are shown
 * and filter (durations or a date picked), a cell's button filters by its value, rows open from the
 * keyboard, the page fits 420 px, and empty lists say what to do.
 * Screenshots are written to dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { postV3, startTestCollector, v3Body } from '../collector-helpers.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

/** The page's document, as far as page.evaluate reads it here (the tests are compiled without the DOM's types). */
declare const document: {
  readonly documentElement: { readonly scrollWidth: number };
  readonly activeElement: { readonly tagName: string; closest(selector: string): { getAttribute(name: string): string | null } | null } | null;
};

/** The ids of the listed records, once the list shows `expected` (sorted), or fails after ten seconds. */
async function listShows(page: Page, expected: number[]): Promise<void> {
  const want = JSON.stringify([...expected].sort((a, b) => a - b));
  for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
    const ids = (await page.locator('#record-table tbody tr').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-id'))))).sort((a, b) => a - b);
    if (JSON.stringify(ids) === want) return;
    if (Date.now() > deadline) assert.fail(`the list shows ${JSON.stringify(ids)}, not ${want}`);
  }
}

/** Posts records with these severities and payloads; their ids, in order. */
async function post(collector: { url: string }, records: [severity: number, payload: string][]): Promise<number[]> {
  const ids: number[] = [];
  for (const [severity, payload] of records) {
    const answer = await postV3(collector, v3Body({ classification: `org.example/sev/s${severity}`, severity: String(severity) }, payload));
    assert.equal(answer.status, 201);
    ids.push(answer.json<{ id: number }>().id);
  }
  return ids;
}

test('web UI permalink: a page opened at the address of another restores its filters, its tab and its open record', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const collector = await startTestCollector(t);
  const [low, medium, high] = await post(collector, [
    [1, 'low one\n'],
    [2, 'medium one\n'],
    [3, 'high one\n'],
  ]);
  const { page, problems } = await openPage(t);
  await page.goto(collector.url);
  await listShows(page, [low ?? 0, medium ?? 0, high ?? 0]);

  await page.selectOption('select[name="severity"]', ['1', '3']);
  await page.fill('input[name="classification"]', 'org.example/*');
  await page.click('#filters button[type="submit"]');
  await listShows(page, [low ?? 0, high ?? 0]);
  await page.locator(`#record-table tbody tr[data-id="${high}"]`).click();
  await page.locator('#detail').waitFor({ state: 'visible' });
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('severity'), '1,3');
  assert.equal(url.searchParams.get('classification'), 'org.example/*');
  assert.equal(url.searchParams.get('record'), String(high));
  assert.equal(url.hash, '#records');

  const second = await openPage(t);
  await second.page.goto(url.href);
  await second.page.locator('#detail').waitFor({ state: 'visible' });
  assert.equal(await second.page.locator('#detail-id').innerText(), `#${high}`);
  assert.equal(await second.page.locator('#detail pre.payload').innerText(), 'high one\n');
  assert.deepEqual(await second.page.locator('select[name="severity"] option:checked').evaluateAll((options) => options.map((option) => option.getAttribute('value'))), ['1', '3']);
  assert.equal(await second.page.locator('input[name="classification"]').inputValue(), 'org.example/*');
  await listShows(second.page, [low ?? 0, high ?? 0]);
  await second.page.screenshot({ path: artifactPath('collector-ui-permalink.png'), fullPage: true });

  // Closing the detail takes the record out of the address; the filters stay.
  await second.page.keyboard.press('Escape');
  await second.page.locator('#detail').waitFor({ state: 'hidden' });
  const closed = new URL(second.page.url());
  assert.equal(closed.searchParams.get('record'), null);
  assert.equal(closed.searchParams.get('severity'), '1,3');

  // The tab is part of the address too.
  await second.page.click('nav button[data-tab="charts"]');
  assert.equal(new URL(second.page.url()).hash, '#charts');
  const third = await openPage(t);
  await third.page.goto(second.page.url());
  await third.page.locator('#tab-charts.active').waitFor();
  assert.deepEqual([...problems, ...second.problems, ...third.problems], [], 'no script errors or CSP violations');
});

test('web UI filters: severities 1 and 3 chosen list only those; the search box finds a record by a word of its payload', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const collector = await startTestCollector(t);
  const [low, medium, high, critical] = await post(collector, [
    [1, 'disk nearly full\n'],
    [2, 'fan speed changed\n'],
    [3, 'thermal throttling engaged\n'],
    [4, 'kernel panic on boot\n'],
  ]);
  const { page, problems } = await openPage(t);
  await page.goto(collector.url);
  await listShows(page, [low ?? 0, medium ?? 0, high ?? 0, critical ?? 0]);
  assert.equal(await page.locator('input[name="q"]').getAttribute('placeholder'), 'words, "quoted phrases"');

  await page.selectOption('select[name="severity"]', ['1', '3']);
  await page.click('#filters button[type="submit"]');
  await listShows(page, [low ?? 0, high ?? 0]);
  assert.deepEqual(await page.locator('#record-table tbody td .sev').allInnerTexts(), ['3', '1']);
  await page.screenshot({ path: artifactPath('collector-ui-severities.png'), fullPage: true });
  await page.click('#filters button[type="reset"]');
  await listShows(page, [low ?? 0, medium ?? 0, high ?? 0, critical ?? 0]);

  await page.fill('input[name="q"]', 'throttling');
  await page.click('#filters button[type="submit"]');
  await listShows(page, [high ?? 0]);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'throttling');
  await page.fill('input[name="q"]', '"panic on boot"');
  await page.press('input[name="q"]', 'Enter');
  await listShows(page, [critical ?? 0]);
  await page.fill('input[name="q"]', '"boot on panic"');
  await page.press('input[name="q"]', 'Enter');
  await page.locator('#empty').waitFor({ state: 'visible' });
  await listShows(page, []);
  await page.screenshot({ path: artifactPath('collector-ui-search.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});

test(
  'web UI times: the list and the detail show the creation time beside the reception time; a creation date picked narrows the list and stays in the address',
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    const old = (await postV3(collector, v3Body({ classification: 'org.example/time/old', creation_timestamp: '1700000000' }, 'made in 2023\n'))).json<{ id: number }>().id;
    const recent = (await postV3(collector, v3Body({ classification: 'org.example/time/recent', creation_timestamp: '1800000000' }, 'made in 2027\n'))).json<{ id: number }>().id;
    const { page, problems } = await openPage(t);
    await page.goto(collector.url);
    await listShows(page, [old, recent]);
    assert.ok((await page.locator('#record-table thead th').allInnerTexts()).includes('created'));
    const local = await page.evaluate(() => [new Date(1_700_000_000_000).toLocaleString(), new Date(1_800_000_000_000).toLocaleString()]);
    assert.deepEqual(await page.locator('#record-table tbody td.creation_timestamp').allInnerTexts(), [local[1], local[0]]);
    await page.locator(`#record-table tbody tr[data-id="${old}"]`).click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    assert.match(await page.locator('#detail-fields').innerText(), new RegExp(`creation_timestamp\\s+${local[0]?.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(1700000000\\)`));
    await page.keyboard.press('Escape');

    // An absolute range: "from a date…" shows a date and time picker; the filter is sent as ISO 8601.
    const picker = page.locator('input[data-date-for="created_since"]');
    assert.equal(await picker.isVisible(), false);
    await page.selectOption('select[name="created_since"]', 'date');
    await picker.fill('2025-01-01T00:00');
    await page.click('#filters button[type="submit"]');
    await listShows(page, [recent]);
    const since = new URL(page.url()).searchParams.get('created_since');
    const expected = await page.evaluate(() => new Date('2025-01-01T00:00').toISOString());
    assert.equal(since, expected);
    await page.screenshot({ path: artifactPath('collector-ui-created-range.png'), fullPage: true });

    // The permalink restores the picked date.
    const second = await openPage(t);
    await second.page.goto(page.url());
    await listShows(second.page, [recent]);
    assert.equal(await second.page.locator('select[name="created_since"]').inputValue(), 'date');
    assert.equal(await second.page.locator('input[data-date-for="created_since"]').inputValue(), '2025-01-01T00:00');
    // Reset: any time again, the picker hidden.
    await second.page.click('#filters button[type="reset"]');
    await listShows(second.page, [old, recent]);
    assert.equal(await second.page.locator('input[data-date-for="created_since"]').isVisible(), false);
    assert.deepEqual([...problems, ...second.problems], [], 'no script errors or CSP violations');
  },
);

test(
  "web UI cells: a machine cell's filter button lists that machine's records only, by the 12 characters shown; severity and classification alike; the row still opens the detail",
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    const send = async (machine: string, severity: string, classification: string) =>
      (await postV3(collector, v3Body({ machine_id: machine, severity, classification }, `${classification}\n`))).json<{ id: number }>().id;
    const first = await send('aaaaaaaaaaaa1111111111111111111a', '1', 'org.example/cell/one');
    const second = await send('aaaaaaaaaaaa1111111111111111111a', '4', 'org.example/cell/two');
    const other = await send('bbbbbbbbbbbb2222222222222222222b', '4', 'org.example/cell/two');
    const { page, problems } = await openPage(t);
    await page.goto(collector.url);
    await listShows(page, [first, second, other]);

    await page.locator(`#record-table tbody tr[data-id="${first}"] td.machine_id button.cell-filter`).click();
    await listShows(page, [first, second]);
    assert.equal(await page.locator('input[name="machine_id"]').inputValue(), 'aaaaaaaaaaaa');
    assert.equal(new URL(page.url()).searchParams.get('machine_id'), 'aaaaaaaaaaaa');
    assert.equal(await page.locator('#detail').isVisible(), false, 'the filter button does not open the detail');
    await page.screenshot({ path: artifactPath('collector-ui-cell-filter.png'), fullPage: true });

    // Severity: only the one clicked is chosen; the button is reachable from the keyboard.
    await page.locator(`#record-table tbody tr[data-id="${second}"] td.severity button.cell-filter`).focus();
    await page.keyboard.press('Enter');
    await listShows(page, [second]);
    assert.equal(new URL(page.url()).searchParams.get('severity'), '4');

    await page.click('#filters button[type="reset"]');
    await listShows(page, [first, second, other]);
    await page.locator(`#record-table tbody tr[data-id="${other}"] td.classification button.cell-filter`).click();
    await listShows(page, [second, other]);
    assert.equal(new URL(page.url()).searchParams.get('classification'), 'org.example/cell/two');

    // The rest of the row opens the detail.
    await page.locator(`#record-table tbody tr[data-id="${other}"] td.id`).click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#detail-id').innerText(), `#${other}`);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);

test(
  'web UI keyboard and narrow screens: Tab reaches a row, Enter opens its detail, Escape closes it; at 420 px the page does not scroll sideways and a row opens',
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    const id = (await postV3(collector, v3Body({ classification: 'org.example/keys/one' }, 'typed at\n'))).json<{ id: number }>().id;
    const { page, problems } = await openPage(t);
    await page.goto(collector.url);
    await listShows(page, [id]);

    const row = page.locator(`#record-table tbody tr[data-id="${id}"]`);
    // Tab from the last filter control to the row (the export links and the table's buttons come between).
    await page.locator('#filters button[type="reset"]').focus();
    const focusedId = () => page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-id') ?? null);
    for (let presses = 0; presses < 40 && (await page.evaluate(() => document.activeElement?.tagName)) !== 'TR'; presses += 1) await page.keyboard.press('Tab');
    assert.equal(await focusedId(), String(id), 'Tab reaches the row');
    await page.screenshot({ path: artifactPath('collector-ui-row-focus.png') });
    await page.keyboard.press('Enter');
    await page.locator('#detail').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#detail-id').innerText(), `#${id}`);
    await page.keyboard.press('Escape');
    await page.locator('#detail').waitFor({ state: 'hidden' });
    assert.equal(await focusedId(), String(id), 'the focus is back on the row');
    await page.keyboard.press(' ');
    await page.locator('#detail').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');

    await page.setViewportSize({ width: 420, height: 800 });
    await page.goto(collector.url);
    await listShows(page, [id]);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 420, 'no page-wide horizontal overflow at 420 px');
    await row.locator('td.id').click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 420, 'nor with the detail open');
    const pane = await page.locator('#detail').boundingBox();
    assert.ok(pane && pane.x >= 0 && pane.x + pane.width <= 420, `the detail fits the screen: ${JSON.stringify(pane)}`);
    await page.screenshot({ path: artifactPath('collector-ui-narrow.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);

test(
  'web UI empty states: with no records the list says how to send some; with filters that match none it offers to clear them; the Crashes tab alike',
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    const { page, problems } = await openPage(t);
    await page.goto(collector.url);
    const empty = page.locator('#empty');
    await empty.waitFor({ state: 'visible' });
    assert.equal(await empty.innerText(), "No records yet: point an agent at this collector's /telem/v1/records, or POST records to /v3/collector.");
    await page.screenshot({ path: artifactPath('collector-ui-empty.png'), fullPage: true });
    await page.click('nav button[data-tab="crashes"]');
    const noCrashes = page.locator('#no-crashes');
    await noCrashes.waitFor({ state: 'visible' });
    assert.equal(await noCrashes.innerText(), 'No crash groups yet: crash and kernel oops records appear here, grouped by signature, once probes send them.');

    const id = (await postV3(collector, v3Body({ classification: 'org.example/empty/one' }, 'here\n'))).json<{ id: number }>().id;
    await page.fill('input[name="classification"]', 'org.example/none/*');
    await page.click('#filters button[type="submit"]');
    await noCrashes.locator('button.clear-filters').waitFor();
    assert.equal(await noCrashes.innerText(), 'No crash records match these filters — clear them');
    await page.click('nav button[data-tab="records"]');
    await empty.locator('button.clear-filters').waitFor();
    assert.equal(await empty.innerText(), 'No records match these filters — clear them');
    await page.screenshot({ path: artifactPath('collector-ui-empty-filtered.png'), fullPage: true });
    await empty.locator('button.clear-filters').click();
    await listShows(page, [id]);
    assert.equal(await page.locator('input[name="classification"]').inputValue(), '');
    assert.equal(await empty.isVisible(), false);
    assert.equal(new URL(page.url()).search, '');
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);
