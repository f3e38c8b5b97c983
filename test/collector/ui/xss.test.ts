/**
 * The web UI against hostile record data, in headless Chromium: records whose every field the pages
 * show carries markup, script, javascript: URLs, template syntax, CSV formulas, right-to-left and
 * zero-width characters and very long text (xss-corpus.ts) are POSTed through the real ingest paths
 * (v2 and v3), crash rules with the same are typed into the skip-list editor, and then a tour visits
 * every page and state: the login page, the records list, the record detail of each, a crash group's
 * records, a permalink with hostile filters, the charts, the crash groups, the skip-list editor,
 * the fleet, each at 420 px too, and logout. At every step: no dialog opened, no element, handler,
 * script or javascript: URL made from data, window.__xss and the title untouched, no script error or
 * CSP violation, and the hostile text on the screen as text. The tour runs twice: as served, and with
 * the page's Content-Security-Policy not enforced, so that the page is safe by how it renders and
 * not only because the CSP blocks what would run. Screenshots of every step (served mode) are
 * collector-ui-xss-<step>.png in dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Locator, Page } from 'playwright-core';
import type { CrashesAnswer } from '../../../engine/collector/query/answers.js';
import { LOGIN_INVALID } from '../../../engine/collector/http/login.js';
import { BACKENDS, type Backend } from '../collector-helpers.js';
import { call, startLoginCollector } from '../auth/logins.js';
import { BROWSER_SKIP, type WatchedPage, artifactPath, launchBrowser } from './browser.js';
import {
  HOSTILE,
  HOSTILE_BAD_PATTERN,
  HOSTILE_CLASSIFICATIONS,
  HOSTILE_FLEET,
  HOSTILE_FRAMES,
  HOSTILE_MACHINES,
  HOSTILE_RULE,
  HOSTILE_SIGNATURE,
  HOSTILE_SYSTEM,
  LOGIN_TITLE,
  type SeededRecord,
  type TourStep,
  UI_TITLE,
  injectionReport,
  postHostileRecords,
} from './xss-corpus.js';

declare const document: { readonly documentElement: { readonly scrollWidth: number } };

/** White space as the screen shows it: runs of it as one space. */
const squeeze = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Waits until `locator` matches at least `count` elements (no page.waitForFunction: the page's CSP forbids its eval). */
async function atLeast(locator: Locator, count: number, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; (await locator.count()) < count; await sleep(50)) {
    if (Date.now() > deadline) assert.fail(`${what}: ${await locator.count()}, not ${count}`);
  }
}

/** Logs in through the login page with `token` and waits for the records list. */
async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}login`);
  await page.fill('input[name="token"]', token);
  await page.click('#login button[type="submit"]');
  await page.waitForURL((address) => address.pathname === '/', { timeout: 10_000 });
  await page.locator('#record-table tbody tr').first().waitFor({ timeout: 10_000 });
}

/** Runs one step of the tour and checks the page after it (see the file's comment). */
async function visit(watched: WatchedPage, step: TourStep, screenshot: boolean): Promise<void> {
  const { page, problems, dialogs } = watched;
  const before = problems.length;
  try {
    await step.open(page);
  } catch (error) {
    if (error instanceof Error) error.message = `step ${step.name}: ${error.message}`;
    throw error;
  }
  const report = await injectionReport(page);
  const where = `after step ${step.name}`;
  assert.deepEqual(dialogs, [], `${where}: no dialog opened`);
  assert.deepEqual(
    { marked: report.marked, handlers: report.handlers, foreign: report.foreign, scripts: report.scripts, javascriptUrls: report.javascriptUrls, xss: report.xss, title: report.title },
    { marked: [], handlers: [], foreign: [], scripts: [], javascriptUrls: [], xss: null, title: step.title ?? UI_TITLE },
    `${where}: nothing made from record data`,
  );
  const shown = squeeze(await page.locator(step.scope ?? 'body').innerText());
  for (const text of step.expectText) assert.ok(shown.includes(squeeze(text)), `${where}: ${step.scope ?? 'the page'} shows ${JSON.stringify(text.slice(0, 120))} as text`);
  const unexpected = problems.slice(before).filter((problem) => !(step.allowProblems?.test(problem) ?? false));
  assert.deepEqual(unexpected, [], `${where}: no script errors or CSP violations`);
  if (screenshot) await page.screenshot({ path: artifactPath(`collector-ui-xss-${step.name}.png`), fullPage: true });
}

/** Opens the detail of record `id` from the list (the list is on screen). */
async function openDetail(page: Page, id: number): Promise<void> {
  await page.locator(`#record-table tbody tr[data-id="${id}"] td.id`).click();
  await page.locator('#detail-id', { hasText: `#${id}` }).waitFor({ timeout: 10_000 });
}

/** The texts of a record's detail that came from its sender: every hostile field and the payload. */
const detailTexts = (record: SeededRecord) => [...Object.values(record.fields), record.payload];

test('web UI XSS corpus: hostile text in every field is shown as text on every page, with the CSP enforced and without it', { skip: BROWSER_SKIP, timeout: 240_000 }, async (t) => {
  const { collector, token } = await startLoginCollector(t, BACKENDS[0] as Backend);
  const admin = await token('ops', 'admin');
  const { records } = await postHostileRecords(collector);
  const [v3, v2, long, crash] = records as [SeededRecord, SeededRecord, SeededRecord, SeededRecord];
  const browser = await launchBrowser(t);

  // The crash groups the collector made of the hostile frames: their signatures and first frames come from the data.
  const crashes = (await call(collector, '/api/crashes', { token: admin })).json<CrashesAnswer>();
  const hostileGroup = crashes.groups.find((group) => group.signature === HOSTILE_SIGNATURE);
  assert.ok(hostileGroup, `a crash group with the hostile signature: ${JSON.stringify(crashes.groups.map((group) => group.signature))}`);
  const groupTexts = crashes.groups.flatMap((group) => [group.signature ?? '', group.first_frame ?? '']);

  // The skip-list editor: a hostile rule typed in and saved, and a hostile pattern the collector refuses, its message quoting it.
  const editor = await browser.newPage();
  await logIn(editor.page, collector.url, admin);
  await editor.page.click('nav button[data-tab="crashes"]');
  await editor.page.click('#crash-rules summary');
  const rows = editor.page.locator('#crash-rules-table tbody tr');
  await atLeast(rows, 1, 'skip rules shown');
  await editor.page.click('#crash-rule-add');
  await rows.last().locator('input[name="pattern"]').fill(HOSTILE_RULE.pattern);
  await rows.last().locator('input[name="note"]').fill(HOSTILE_RULE.note);
  await editor.page.click('#crash-rules-form button[type="submit"]');
  await editor.page.locator('#crash-rules-status', { hasText: 'saved version 2' }).waitFor({ timeout: 10_000 });
  await editor.page.click('#crash-rule-add');
  await rows.last().locator('input[name="pattern"]').fill(HOSTILE_BAD_PATTERN);
  await editor.page.click('#crash-rules-form button[type="submit"]');
  await editor.page.locator('#crash-rules-status', { hasText: 'is not a skip rule' }).waitFor({ timeout: 10_000 });
  assert.ok((await editor.page.locator('#crash-rules-status').innerText()).includes(JSON.stringify(HOSTILE_BAD_PATTERN)), 'the refusal quotes the pattern as text');
  await editor.page.screenshot({ path: artifactPath('collector-ui-xss-crash-rules-refused.png'), fullPage: true });
  assert.deepEqual((await injectionReport(editor.page)).marked, [], 'nothing made from the refused pattern');
  assert.deepEqual(editor.dialogs, []);
  assert.deepEqual(
    editor.problems.filter((problem) => !/status of 400/.test(problem)),
    [],
    'no script errors or CSP violations in the editor',
  );
  await editor.page.close();

  const records420 = async (page: Page) => {
    await page.setViewportSize({ width: 420, height: 800 });
    // From a page at ${collector.url}#fleet only the hash changes: the page switches to the records tab itself.
    await page.goto(`${collector.url}#records`);
    await atLeast(page.locator('#record-table tbody tr'), records.length, 'records listed');
    await fits(page);
  };
  /** At 420 px, long hostile text scrolls inside its table or wraps: the page itself does not scroll sideways. */
  const fits = async (page: Page) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 420, `no page-wide horizontal overflow at 420 px: the page is ${width} px wide`);
  };
  const narrow = (open: (page: Page) => Promise<void>) => async (page: Page) => {
    await open(page);
    await fits(page);
  };
  const tab =
    (name: string, ready: string, count = 1) =>
    async (page: Page) => {
      // At 420 px an open detail covers the tabs.
      if (await page.locator('#detail').isVisible()) await page.keyboard.press('Escape');
      await page.click(`nav button[data-tab="${name}"]`);
      await atLeast(page.locator(ready), count, `${name}: ${ready}`);
    };

  const unfiltered = (open: (page: Page) => Promise<void>) => async (page: Page) => {
    await page.goto('about:blank');
    await page.goto(`${collector.url}#records`);
    await open(page);
  };

  /** The tour: one step per page and state; a new page is one more entry. */
  const steps: TourStep[] = [
    {
      name: 'login-refused',
      title: LOGIN_TITLE,
      allowProblems: /status of 401/,
      expectText: [LOGIN_INVALID],
      open: async (page) => {
        await page.goto(`${collector.url}#${encodeURIComponent(HOSTILE.img)}`);
        await page.waitForURL((address) => address.pathname === '/login', { timeout: 10_000 });
        await page.fill('input[name="token"]', `${HOSTILE.attributeBreakout}${HOSTILE.script}`);
        await page.click('#login button[type="submit"]');
        await page.locator('#login-error').waitFor({ timeout: 10_000 });
      },
    },
    {
      name: 'records',
      expectText: [v3.classification, v2.classification, v3.fields.system_name ?? '', v2.fields.system_name ?? '', HOSTILE_MACHINES.img.slice(0, 12)],
      open: async (page) => {
        await logIn(page, collector.url, admin);
        await atLeast(page.locator('#record-table tbody tr'), records.length, 'records listed');
      },
    },
    { name: 'detail-v3', scope: '#detail', expectText: detailTexts(v3), open: (page) => openDetail(page, v3.id) },
    { name: 'detail-v2', scope: '#detail', expectText: detailTexts(v2), open: (page) => openDetail(page, v2.id) },
    { name: 'detail-long', scope: '#detail', expectText: detailTexts(long), open: (page) => openDetail(page, long.id) },
    { name: 'detail-crash', scope: '#detail', expectText: detailTexts(crash), open: (page) => openDetail(page, crash.id) },
    {
      name: 'permalink-filters',
      expectText: [v3.classification],
      open: async (page) => {
        const classification = 'org.xss/*';
        const machine = HOSTILE_MACHINES.img.slice(0, 12);
        await page.goto(`${collector.url}?${new URLSearchParams({ classification, machine_id: machine })}#${encodeURIComponent(HOSTILE.title)}`);
        await page.locator(`#record-table tbody tr[data-id="${v3.id}"]`).waitFor({ timeout: 10_000 });
        assert.equal(await page.locator('#record-table tbody tr').count(), 1);
        assert.equal(await page.locator('input[name="classification"]').inputValue(), classification);
        assert.equal(await page.locator('input[name="machine_id"]').inputValue(), machine);
      },
    },
    {
      // A search the collector refuses: its message quotes the hostile words; the signature filter shows as text.
      name: 'permalink-refused',
      allowProblems: /status of 400/,
      expectText: [HOSTILE.script, 'q searches whole words of the payload: "<%=" has no letter or digit to search for'],
      open: async (page) => {
        await page.goto(`${collector.url}?${new URLSearchParams({ q: HOSTILE.template, signature: HOSTILE.script })}#records`);
        await page.locator('#error').waitFor({ timeout: 10_000 });
        assert.equal(await page.locator('input[name="q"]').inputValue(), HOSTILE.template);
        assert.equal(await page.locator('#frame-filter code').innerText(), HOSTILE.script);
      },
    },
    {
      name: 'charts',
      scope: '#tab-charts',
      expectText: [HOSTILE_CLASSIFICATIONS.v3, HOSTILE_CLASSIFICATIONS.v2, HOSTILE_CLASSIFICATIONS.long],
      open: async (page) => {
        await page.goto(`${collector.url}#records`);
        await tab('charts', '#chart-classification svg rect')(page);
      },
    },
    { name: 'crashes', scope: '#tab-crashes', expectText: groupTexts, open: tab('crashes', '#crash-table tbody tr', crashes.groups.length) },
    {
      name: 'crash-rules',
      scope: '#crash-rules',
      expectText: ['version 2'],
      open: async (page) => {
        await page.click('#crash-rules summary');
        await atLeast(page.locator('#crash-rules-table tbody tr'), 2, 'skip rules shown');
        assert.equal(await page.locator('#crash-rules-table input[name="pattern"]').last().inputValue(), HOSTILE_RULE.pattern);
        assert.equal(await page.locator('#crash-rules-table input[name="note"]').last().inputValue(), HOSTILE_RULE.note);
      },
    },
    {
      name: 'crash-group',
      scope: '#crash-group',
      expectText: [HOSTILE_SIGNATURE, HOSTILE_MACHINES.img, HOSTILE_MACHINES.textarea, ...HOSTILE_FRAMES.map((frame) => frame.slice(0, frame.indexOf('() - ')))],
      open: async (page) => {
        await page.locator('#crash-table tbody tr', { hasText: HOSTILE.template }).click();
        await page.locator('#crash-group-signature', { hasText: HOSTILE.template }).waitFor({ timeout: 10_000 });
        await atLeast(page.locator('#crash-group-machines tbody tr'), 2, 'the crash group’s machines');
      },
    },
    {
      name: 'crash-group-records',
      scope: '#tab-records',
      expectText: [HOSTILE_SIGNATURE],
      open: async (page) => {
        await page.click('#crash-group-list');
        await page.locator('#frame-filter').waitFor({ timeout: 10_000 });
        await atLeast(page.locator('#record-table tbody tr'), 2, 'the crash group’s records');
      },
    },
    // From the start page: the crash group's records above left a signature filter, which these views follow.
    { name: 'builds', scope: '#tab-builds', expectText: [HOSTILE_SYSTEM], open: unfiltered(tab('builds', '.population-systems tbody tr')) },
    { name: 'machine-checks', scope: '#tab-mce', expectText: [HOSTILE_MACHINES.img, HOSTILE_MACHINES.textarea], open: unfiltered(tab('mce', '#mce-view table tbody tr')) },
    {
      name: 'fleet',
      scope: '#tab-fleet',
      expectText: [HOSTILE_FLEET.channel, `13: ${HOSTILE_FLEET.reason}`, HOSTILE_FLEET.agentVersion, HOSTILE_FLEET.gate, HOSTILE_MACHINES.status, HOSTILE_MACHINES.img],
      open: tab('fleet', '#fleet-table tbody tr', 4),
    },
    { name: 'narrow-records', expectText: [v3.classification], open: records420 },
    { name: 'narrow-detail', scope: '#detail', expectText: detailTexts(v3), open: narrow((page) => openDetail(page, v3.id)) },
    { name: 'narrow-charts', scope: '#tab-charts', expectText: [HOSTILE_CLASSIFICATIONS.v3], open: narrow(tab('charts', '#chart-classification svg rect')) },
    { name: 'narrow-crashes', scope: '#tab-crashes', expectText: [HOSTILE_SIGNATURE], open: narrow(tab('crashes', '#crash-table tbody tr', crashes.groups.length)) },
    { name: 'narrow-fleet', scope: '#tab-fleet', expectText: [HOSTILE_FLEET.channel], open: narrow(tab('fleet', '#fleet-table tbody tr', 4)) },
    {
      name: 'logged-out',
      title: LOGIN_TITLE,
      expectText: ['Log in'],
      open: async (page) => {
        await page.setViewportSize({ width: 1280, height: 800 });
        await page.click('#logout');
        await page.waitForURL((address) => address.pathname === '/login', { timeout: 10_000 });
      },
    },
  ];

  for (const bypassCSP of [false, true]) {
    await t.test(bypassCSP ? 'with the CSP not enforced' : 'as served, with its CSP', async () => {
      const watched = await browser.newPage({ bypassCSP });
      for (const step of steps) await visit(watched, step, !bypassCSP);
      await watched.page.close();
    });
  }
});
