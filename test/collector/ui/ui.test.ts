/**
 * The web UI in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * a record POSTed the way the agent delivers it appears in the live list within two seconds,
 * its detail shows every header and the payload, and the charts and crash views render. The filter
 * form, the list's columns and the detail's fields are the ones GET /api/fields describes.
 * Screenshots are written to dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import type { FieldsAnswer } from '../../../engine/collector/query/answers.js';
import { type Backend, BACKENDS, getJson, postV2, postV3, startTestCollector, v2Headers, v3Body } from '../collector-helpers.js';
import { call, startLoginCollector } from '../auth/logins.js';
import { DEFAULT_SKIP_RULES } from '../../../engine/collector/crash/skip-rules.js';
import type { CrashRulesAnswer } from '../../../engine/collector/query/answers.js';
import { KERNEL_WARNING, LIBC, crashprobePayload } from '../crash-payloads.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

/**
 * Waits until the record list has `count` rows. (page.waitForFunction with a string evaluates it with
 * eval once it has to poll, which the page's Content-Security-Policy forbids.)
 */
async function listHas(page: Page, count: number): Promise<void> {
  const rows = page.locator('#record-table tbody tr');
  for (const deadline = Date.now() + 10_000; (await rows.count()) !== count; await sleep(50)) {
    if (Date.now() > deadline) assert.fail(`the list has ${await rows.count()} rows, not ${count}`);
  }
}

test('web UI: a delivered record appears in the live list within two seconds and opens to its full detail', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const collector = await startTestCollector(t);
  await postV2(collector, v2Headers({ classification: 'org.clearlinux/heartbeat/ping', event_id: 'a'.repeat(32) }), 'older record\n');
  const { page, problems } = await openPage(t);

  await page.goto(collector.url);
  await page.locator('#record-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#record-table tbody tr').count(), 1);

  // The filter form and the list's headings are the ones GET /api/fields lists (index.html names none).
  const described = (await getJson<FieldsAnswer>(collector, '/api/fields')).body;
  const controls = await page.locator('#filters [name]:not([name="live"])').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('name')));
  assert.deepEqual(
    controls,
    described.filters.map((filter) => filter.name),
  );
  assert.deepEqual(
    await page.locator('#record-table thead th').allInnerTexts(),
    described.columns.map((column) => column.label),
  );

  const sentAt = Date.now();
  const delivered = await postV3(collector, v3Body({ classification: 'org.example/ui/visible', severity: '3' }, 'seen in the browser\n'));
  assert.equal(delivered.status, 201);
  const row = page.locator(`#record-table tbody tr[data-id="${delivered.json().id}"]`);
  await row.waitFor({ timeout: 2000 });
  const latency = Date.now() - sentAt;
  assert.ok(latency <= 2000, `shown after ${latency} ms`);
  assert.match(await row.innerText(), /org\.example\/ui\/visible/);
  assert.equal(await page.locator('#record-table tbody tr').first().getAttribute('data-id'), String(delivered.json().id), 'newest on top');

  await row.click();
  await page.locator('#detail').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#detail pre.payload').innerText(), 'seen in the browser\n');
  const detail = await page.locator('#detail-fields').innerText();
  assert.deepEqual(
    await page.locator('#detail-fields dt').allInnerTexts(),
    described.fields.map((field) => field.name).filter((name) => name !== 'payload'),
  );
  for (const text of ['classification', 'org.example/ui/visible', 'machine_id', '66c196ce4222dd761470da5e7e35f6f1', 'cpu_model', 'kernel_version', '6.5.7-1355.native', 'event_id']) {
    assert.ok(detail.includes(text), `detail shows ${text}`);
  }
  await page.screenshot({ path: artifactPath('collector-ui-records.png'), fullPage: true });
  await page.keyboard.press('Escape');

  // Filters narrow the list (and the URL keeps them).
  await page.fill('input[name="classification"]', 'org.clearlinux/*');
  await page.click('#filters button[type="submit"]');
  await listHas(page, 1);
  assert.match(page.url(), /classification=org\.clearlinux%2F\*/);
  await page.click('#filters button[type="reset"]');
  await listHas(page, 2);
  // until, a filter the page had no control for before it came from GET /api/fields, narrows the list too.
  await page.selectOption('select[name="until"]', '15m');
  await page.click('#filters button[type="submit"]');
  await page.locator('#empty').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#record-table tbody tr').count(), 0);
  assert.match(page.url(), /until=15m/);
  await page.click('#filters button[type="reset"]');
  await listHas(page, 2);

  // Crash view: crash records grouped by signature, each group with its first frame.
  const crash = 'Process: /usr/bin/x\nPID: 1\nSignal: 11\n\nBacktrace (TID 1):\n#0 boom() - [/usr/lib64/libx.so] - x.c:1\n#1 main() - [/usr/bin/x]\n';
  await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr', machine_id: 'm1' }, crash));
  await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr', machine_id: 'm2' }, crash));
  await page.click('nav button[data-tab="crashes"]');
  const group = page.locator('#crash-table tbody tr').first();
  await group.waitFor();
  assert.equal(await group.locator('td.signature').innerText(), 'boom | main');
  assert.match(await group.innerText(), /boom\(\) - \[\/usr\/lib64\/libx\.so\]\s+2\s+2/);
  await page.screenshot({ path: artifactPath('collector-ui-crashes.png'), fullPage: true });
  // A group opens to its page (ui/crash-group.test.ts), and from there to its records: the list filtered by its signature.
  await group.click();
  await page.click('#crash-group-list');
  await listHas(page, 2);
  assert.equal(await page.locator('#frame-filter').innerText(), 'Crashes whose signature is boom | main show all');
  assert.match(page.url(), /signature=boom\+%7C\+main/);
  await page.click('#frame-filter button');
  await listHas(page, 4);

  // Charts draw from /api/stats.
  await page.click('nav button[data-tab="charts"]');
  await page.locator('#chart-severity svg rect').first().waitFor();
  assert.ok((await page.locator('#chart-population svg rect').count()) >= 1);
  await page.screenshot({ path: artifactPath('collector-ui-charts.png'), fullPage: true });

  // The page shows what GET /api/fields says: given one more column, the list has it.
  await page.route('**/api/fields', async (route) => {
    const response = await route.fetch();
    const answer = (await response.json()) as FieldsAnswer;
    await route.fulfill({ response, json: { ...answer, columns: [...answer.columns, { field: 'kernel_version', label: 'kernel' }] } });
  });
  await page.goto(collector.url);
  await page.locator('#record-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#record-table thead th').last().innerText(), 'kernel');
  assert.equal(await page.locator('#record-table tbody tr').first().locator('td').last().innerText(), '6.5.7-1355.native');

  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});

test(
  "web UI: the Crashes tab shows each group's signature, kernel oopses included; the skip-list editor saves the rules and the groups follow",
  { skip: BROWSER_SKIP, timeout: 60_000 },
  async (t) => {
    // Editing the skip list is an admin action: the page is logged in with an admin token.
    const { collector, token } = await startLoginCollector(t, BACKENDS[0] as Backend);
    const admin = await token('ops', 'admin');
    const crash = 'org.clearlinux/crash/clr';
    await postV3(
      collector,
      v3Body({ classification: crash, event_id: '1'.repeat(32) }, crashprobePayload([`raise() - ${LIBC}`, 'do_work() - [/usr/bin/app]', 'run_job() - [/usr/bin/app]'])),
    );
    await postV3(
      collector,
      v3Body({ classification: crash, event_id: '2'.repeat(32) }, crashprobePayload([`raise() - ${LIBC}`, 'do_work() - [/usr/bin/app]', 'other_job() - [/usr/bin/app]'])),
    );
    await postV3(collector, v3Body({ classification: 'org.clearlinux/kernel/warning', event_id: '3'.repeat(32) }, KERNEL_WARNING));
    // Text that would be markup if it were inserted as HTML.
    await postV3(collector, v3Body({ classification: crash, event_id: '4'.repeat(32) }, crashprobePayload(['<img src=x onerror=alert(1)>() - [/usr/bin/app]'])));
    const { page, problems } = await openPage(t);
    await page.goto(`${collector.url}login`);
    await page.fill('input[name="token"]', admin);
    await page.click('#login button[type="submit"]');
    await page.waitForURL((url) => url.pathname === '/');
    await page.goto(`${collector.url}#crashes`);
    const signatures = page.locator('#crash-table tbody td.signature');
    const shows = async (expected: string[]) => {
      for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
        const shown = await signatures.allInnerTexts();
        if (JSON.stringify([...shown].sort()) === JSON.stringify([...expected].sort())) return;
        if (Date.now() > deadline) assert.fail(`the crash groups are ${JSON.stringify(shown)}, not ${JSON.stringify(expected)}`);
      }
    };
    await shows(['do_work | run_job', 'do_work | other_job', 'dev_watchdog | call_timer_fn | run_timer_softirq', '<img src=x onerror=alert(1)>']);
    assert.equal(await page.locator('#crash-table img').count(), 0, 'data is shown as text');

    // The editor lists the stored rules; a rule added and saved regroups the stored crashes.
    await page.click('#crash-rules summary');
    const patterns = page.locator('#crash-rules-table input[name="pattern"]');
    assert.equal(await patterns.count(), DEFAULT_SKIP_RULES.length);
    assert.equal(await patterns.first().inputValue(), 'raise');
    assert.equal(await page.locator('#crash-rules-count').innerText(), `${DEFAULT_SKIP_RULES.length} rules, version 1`);
    await page.click('#crash-rule-add');
    await patterns.last().fill('do_work');
    await page.locator('#crash-rules-table input[name="note"]').last().fill('our dispatcher');
    await page.click('#crash-rules-form button[type="submit"]');
    await page.locator('#crash-rules-status', { hasText: 'saved version 2: 2 records regrouped' }).waitFor();
    await shows(['run_job', 'other_job', 'dev_watchdog | call_timer_fn | run_timer_softirq', '<img src=x onerror=alert(1)>']);
    const added = (await call(collector, '/api/crash-rules', { token: admin })).json<CrashRulesAnswer>().rules.at(-1);
    assert.deepEqual([added?.pattern, added?.note], ['do_work', 'our dispatcher']);
    await page.screenshot({ path: artifactPath('collector-ui-crash-rules.png'), fullPage: true });

    // A rule removed; and a pattern that is none is refused with the collector's message, nothing saved.
    await page.locator('#crash-rules-table tbody tr').last().locator('button.remove').click();
    await page.click('#crash-rule-add');
    await patterns.last().fill('bad [');
    await page.click('#crash-rules-form button[type="submit"]');
    await page.locator('#crash-rules-status', { hasText: 'is not a skip rule' }).waitFor();
    assert.equal(
      await page.locator('#crash-rules-status').innerText(),
      `rules[${DEFAULT_SKIP_RULES.length}].pattern "bad [" is not a skip rule: it has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")`,
    );
    assert.equal((await call(collector, '/api/crash-rules', { token: admin })).json<CrashRulesAnswer>().version, 2);
    await patterns.last().fill('');
    await page.click('#crash-rules-form button[type="submit"]');
    await page.locator('#crash-rules-status', { hasText: 'saved version 3: 2 records regrouped' }).waitFor();
    await shows(['do_work | run_job', 'do_work | other_job', 'dev_watchdog | call_timer_fn | run_timer_softirq', '<img src=x onerror=alert(1)>']);
    // The browser reports the refused PUT; nothing else went wrong.
    assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'no script errors or CSP violations');
  },
);
