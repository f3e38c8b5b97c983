/**
 * A crash group's page in headless Chromium: a click on a group in the Crashes tab opens it, its
 * address is a permalink (group=<signature>), it shows the counts per build, the machines, the
 * trend over creation time, the representative backtrace and the other records (payloads as text),
 * an admin comments on it and hides it from the list (a read login sees the note, not the form),
 * and dragging across the trend narrows the creation range, which Zoom out gives back.
 * Screenshots are written to dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import type { CrashGroupAnswer } from '../../../engine/collector/query/answers.js';
import { type Backend, BACKENDS, type CollectorUrl, postV3, v3Body } from '../collector-helpers.js';
import { call, startLoginCollector } from '../auth/logins.js';
import { LIBC, crashprobePayload } from '../crash-payloads.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

const DAY = 86_400;
const CREATED = 1_767_225_600;
/** Text that would be markup if it were inserted as HTML. */
const MARKUP = crashprobePayload([`raise() - ${LIBC}`, 'parse_config() - [/usr/bin/app]', 'main() - [/usr/bin/app]']).replace(
  'Process: /usr/bin/app',
  'Process: <img src=x onerror=alert(1)>',
);
const SIGNATURE = 'parse_config | main';

let events = 0;
async function post(collector: CollectorUrl, fields: Record<string, string>, payload = MARKUP): Promise<number> {
  events += 1;
  const answer = await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr', event_id: events.toString(16).padStart(32, '0'), ...fields }, payload));
  assert.equal(answer.status, 201, answer.body.toString());
  return answer.json<{ id: number }>().id;
}

async function logIn(page: Page, collector: CollectorUrl, token: string): Promise<void> {
  await page.goto(`${collector.url}login`);
  await page.fill('input[name="token"]', token);
  await page.click('#login button[type="submit"]');
  await page.waitForURL((url) => url.pathname === '/');
}

/** Waits until `read` gives `expected`, or fails after ten seconds. */
async function until<T>(read: () => Promise<T>, expected: T, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected)) return;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(value)}, not ${JSON.stringify(expected)}`);
  }
}

test(
  "web UI crash group: a click opens the group's page at its own address; counts per build, machines, trend, the representative backtrace and the others as text; an admin comments and hides it",
  { skip: BROWSER_SKIP, timeout: 90_000 },
  async (t) => {
    const { collector, token } = await startLoginCollector(t, BACKENDS[0] as Backend);
    const admin = await token('ops', 'admin');
    const reader = await token('grafana', 'read');
    await post(collector, { machine_id: 'a'.repeat(32), build: '9990', creation_timestamp: String(CREATED + 60) });
    await post(collector, { machine_id: 'b'.repeat(32), build: '9990', creation_timestamp: String(CREATED + DAY) });
    const latest = await post(collector, { machine_id: 'a'.repeat(32), build: '39010', creation_timestamp: String(CREATED + 3 * DAY) });
    await post(collector, { machine_id: 'c'.repeat(32) }, crashprobePayload([`raise() - ${LIBC}`, 'load_plugin() - [/usr/bin/app]', 'main() - [/usr/bin/app]']));

    const { page, problems } = await openPage(t);
    await logIn(page, collector, admin);
    await page.click('nav button[data-tab="crashes"]');
    await page.locator(`#crash-table tbody tr[data-signature="${SIGNATURE}"]`).click();
    await page.locator('#crash-group').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#crash-list').isHidden(), true);
    const url = new URL(page.url());
    assert.deepEqual([url.searchParams.get('group'), url.hash], [SIGNATURE, '#crashes']);

    await until(() => page.locator('#crash-group-signature').innerText(), SIGNATURE, 'signature shown');
    await until(() => page.locator('#crash-group-builds tbody tr td.build').allInnerTexts(), ['9990', '39010'], 'builds');
    assert.deepEqual(await page.locator('#crash-group-builds tbody tr td.count').allInnerTexts(), ['2', '1']);
    assert.deepEqual(await page.locator('#crash-group-machines tbody td.machine_id').allInnerTexts(), ['a'.repeat(32), 'b'.repeat(32)]);
    assert.equal(await page.locator('#crash-group-machine-count').innerText(), '2');
    // A dot per bucket of creation time (3 hours over these 3 days), from the first record's to the last one's.
    const trend = await page.locator('#crash-group-trend circle').evaluateAll((dots) => dots.map((dot) => [Number(dot.getAttribute('data-start')), Number(dot.getAttribute('data-value'))]));
    assert.deepEqual(
      trend.filter(([, value]) => value !== 0),
      [
        [CREATED * 1000, 1],
        [(CREATED + DAY) * 1000, 1],
        [(CREATED + 3 * DAY) * 1000, 1],
      ],
    );
    assert.equal(trend.length, 3 * 8 + 1);
    assert.equal(await page.locator('#crash-group-representative').innerText(), MARKUP);
    assert.match(await page.locator('#crash-group-representative-line').innerText(), new RegExp(`^#${latest} · org.clearlinux/crash/clr · machine a{12} · clear-linux-os 39010`));
    assert.equal(await page.locator('#crash-group-records details').count(), 2);
    await page.locator('#crash-group-records details summary').first().click();
    assert.equal(await page.locator('#crash-group-records details pre').first().innerText(), MARKUP);
    assert.equal(await page.locator('#crash-group img').count(), 0, 'payloads are shown as text');
    await page.screenshot({ path: artifactPath('collector-ui-crash-group.png'), fullPage: true });

    // The address is a permalink: another page opened at it shows the group.
    await page.goto(collector.url);
    await page.goto(url.href);
    await page.locator('#crash-group').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#crash-group-signature').innerText(), SIGNATURE);

    // An admin's note: a comment and the hide switch, stored on the server.
    await page.fill('#crash-group-note textarea[name="comment"]', 'fixed in 39020 <b>really</b>');
    await page.check('#crash-group-note input[name="hidden"]');
    await page.click('#crash-group-note button[type="submit"]');
    await page.locator('#crash-group-note-status', { hasText: 'saved: hidden from the crash list' }).waitFor();
    await page.locator('#crash-group-note-by', { hasText: 'last changed by ops' }).waitFor();
    const stored = (await call(collector, `/api/crash-groups/${encodeURIComponent(SIGNATURE)}`, { token: admin })).json<CrashGroupAnswer>();
    assert.deepEqual([stored.note.comment, stored.note.hidden], ['fixed in 39020 <b>really</b>', true]);
    assert.equal(await page.locator('#crash-group-hidden-badge').isVisible(), true);
    await page.screenshot({ path: artifactPath('collector-ui-crash-group-note.png'), fullPage: true });

    // Back in the list the group is hidden, unless hidden groups are shown (marked, with the comment).
    await page.click('#crash-group-back');
    await until(() => page.locator('#crash-table tbody td.signature code').allInnerTexts(), ['load_plugin | main'], 'groups listed');
    assert.equal(new URL(page.url()).searchParams.get('group'), null);
    await page.check('#crash-show-hidden');
    await until(() => page.locator('#crash-table tbody td.signature code').allInnerTexts(), [SIGNATURE, 'load_plugin | main'], 'groups listed with the hidden');
    assert.equal(await page.locator(`#crash-table tr.hidden-group[data-signature="${SIGNATURE}"] .comment`).innerText(), 'fixed in 39020 <b>really</b>');
    // The address carries the choice: a reload (a permalink) shows the hidden groups again.
    assert.equal(new URL(page.url()).searchParams.get('hidden'), 'include');
    await page.reload();
    await until(() => page.locator('#crash-table tbody td.signature code').allInnerTexts(), [SIGNATURE, 'load_plugin | main'], 'hidden groups listed after a reload');
    assert.equal(await page.locator('#crash-show-hidden').isChecked(), true);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');

    // A read login sees the note but cannot change it.
    const second = await openPage(t);
    await logIn(second.page, collector, reader);
    await second.page.goto(url.href);
    await second.page.locator('#crash-group').waitFor({ state: 'visible' });
    await until(() => second.page.locator('#crash-group-note textarea').inputValue(), 'fixed in 39020 <b>really</b>', 'comment shown');
    assert.equal(await second.page.locator('#crash-group-note textarea').isDisabled(), true);
    assert.equal(await second.page.locator('#crash-group-note button[type="submit"]').isDisabled(), true);
    assert.deepEqual(second.problems, []);
  },
);

test(
  "web UI zoom: dragging across a crash group's trend narrows the creation range (the address carries it), the page counts only those records, and Zoom out gives the range back",
  { skip: BROWSER_SKIP, timeout: 90_000 },
  async (t) => {
    const { collector, token } = await startLoginCollector(t, BACKENDS[0] as Backend);
    const reader = await token('grafana', 'read');
    for (const day of [0, 1, 2, 3, 4, 5]) await post(collector, { machine_id: `${day}`.repeat(32), creation_timestamp: String(CREATED + day * DAY + 3600) });
    const { page, problems } = await openPage(t);
    await logIn(page, collector, reader);
    await page.goto(`${collector.url}?group=${encodeURIComponent(SIGNATURE)}#crashes`);
    const dots = page.locator('#crash-group-trend circle[data-value="1"]');
    await until(() => dots.count(), 6, 'dots of the records');
    assert.equal(await page.locator('#zoom-out').isHidden(), true);

    // From day 1's record to day 3's (3-hour buckets: the range is their buckets).
    const at = async (index: number) => {
      const box = await dots.nth(index).boundingBox();
      assert.ok(box);
      return [box.x + box.width / 2, box.y + box.height / 2] as const;
    };
    const [fromX, fromY] = await at(1);
    const [toX, toY] = await at(3);
    await page.mouse.move(fromX, fromY);
    await page.mouse.down();
    await page.mouse.move((fromX + toX) / 2, fromY);
    await page.mouse.move(toX, toY);
    await page.mouse.up();

    await until(() => page.locator('#crash-group-facts dd').first().innerText(), '3', 'records counted after the zoom');
    const zoomed = new URL(page.url());
    assert.deepEqual(
      [Date.parse(zoomed.searchParams.get('created_since') ?? ''), Date.parse(zoomed.searchParams.get('created_until') ?? '')],
      [(CREATED + DAY) * 1000, (CREATED + 3 * DAY + 3 * 3600) * 1000],
    );
    assert.equal(zoomed.searchParams.get('group'), SIGNATURE);
    assert.equal(await page.locator('select[name="created_since"]').inputValue(), 'date');
    await page.screenshot({ path: artifactPath('collector-ui-zoom.png'), fullPage: true });

    await page.click('#zoom-out');
    await until(() => page.locator('#crash-group-facts dd').first().innerText(), '6', 'records counted after zooming out');
    const back = new URL(page.url());
    assert.deepEqual([back.searchParams.get('created_since'), back.searchParams.get('created_until')], [null, null]);
    assert.equal(await page.locator('#zoom-out').isHidden(), true);
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);
