/**
 * The web UI in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * a record POSTed the way the agent delivers it appears in the live list within two seconds,
 * its detail shows every header and the payload, and the charts and crash views render.
 * Screenshots are written to dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postV2, postV3, startTestCollector, v2Headers, v3Body } from '../collector-helpers.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

test('web UI: a delivered record appears in the live list within two seconds and opens to its full detail', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const collector = await startTestCollector(t);
  await postV2(collector, v2Headers({ classification: 'org.clearlinux/heartbeat/ping', event_id: 'a'.repeat(32) }), 'older record\n');
  const { page, problems } = await openPage(t);

  await page.goto(collector.url);
  await page.locator('#record-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#record-table tbody tr').count(), 1);

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
  for (const text of ['classification', 'org.example/ui/visible', 'machine_id', '66c196ce4222dd761470da5e7e35f6f1', 'cpu_model', 'kernel_version', '6.5.7-1355.native', 'event_id']) {
    assert.ok(detail.includes(text), `detail shows ${text}`);
  }
  await page.screenshot({ path: artifactPath('collector-ui-records.png'), fullPage: true });
  await page.keyboard.press('Escape');

  // Filters narrow the list (and the URL keeps them).
  await page.fill('input[name="classification"]', 'org.clearlinux/*');
  await page.click('#filters button[type="submit"]');
  await page.waitForFunction('document.querySelectorAll("#record-table tbody tr").length === 1');
  assert.match(page.url(), /classification=org\.clearlinux%2F\*/);
  await page.click('#filters button[type="reset"]');

  // Crash view: crash records grouped by their first frame.
  const crash = 'Process: /usr/bin/x\nPID: 1\nSignal: 11\n\nBacktrace (TID 1):\n#0 boom() - [/usr/lib64/libx.so] - x.c:1\n#1 main() - [/usr/bin/x]\n';
  await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr', machine_id: 'm1' }, crash));
  await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr', machine_id: 'm2' }, crash));
  await page.click('nav button[data-tab="crashes"]');
  const group = page.locator('#crash-table tbody tr').first();
  await group.waitFor();
  assert.match(await group.innerText(), /boom\(\) - \[\/usr\/lib64\/libx\.so\]\s+2\s+2/);
  await page.screenshot({ path: artifactPath('collector-ui-crashes.png'), fullPage: true });
  await group.click();
  await page.waitForFunction('document.querySelectorAll("#record-table tbody tr").length === 2');

  // Charts draw from /api/stats.
  await page.click('nav button[data-tab="charts"]');
  await page.locator('#chart-severity svg rect').first().waitFor();
  assert.ok((await page.locator('#chart-population svg rect').count()) >= 1);
  await page.screenshot({ path: artifactPath('collector-ui-charts.png'), fullPage: true });

  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});
