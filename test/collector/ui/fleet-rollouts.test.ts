/**
 * The web UI's Fleet page in headless Chromium, its staged rollouts: status records carrying a rollout
 * POSTed to a real collector, which halts it (2 of 4 candidates of step 0 failed), show as a block per
 * rollout with the halt and its reason, each step with its window and machines per arm and state, the
 * arms' counters and the failing gates. Gate names and halt reasons are shown as text, never as
 * HTML. Without any rollout the page says how to start one. Screenshots: collector-ui-fleet-rollouts.png
 * (and -narrow.png, 420 px wide) in dist/test-artifacts/ (or $TELEM_TEST_ARTIFACTS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Locator, Page } from 'playwright-core';
import type { ControlDocument } from '../../../engine/collector/query/answers.js';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { type CollectorUrl, getJson, startTestCollector } from '../collector-helpers.js';
import { postRolloutStatus, postStatus } from '../status-records.js';
import { BROWSER_SKIP, artifactPath, openPage } from './browser.js';

// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;
const ADMIN_TOKEN = 'rollout-admin-token-0123456789';
const HALT_REASON = 'step 0: 2 of 4 machines failed or rolled back (50% > max_failure_rate 25%)';
/** Status records may name a gate with any string up to 100 characters. */
const HTML_GATE = '<img src=x onerror=alert(1)>';
const HTML_REASON = '<img src=x onerror=alert(2)> <b>error rate</b> on the dashboard';

/** Waits until the collector's evaluation after the last batch halted `id`. */
async function halted(collector: CollectorUrl, id: string): Promise<void> {
  for (const deadline = Date.now() + 5000; ; await sleep(50)) {
    const document = (await getJson<ControlDocument>(collector, '/fleet/stable/control')).body;
    if (document.rollouts[id]?.halted === true) return;
    assert.ok(Date.now() < deadline, `${id} is not halted: ${JSON.stringify(document)}`);
  }
}

/** The text of `locator`, white space collapsed. */
const text = async (locator: Locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

/** The cells' texts of each row of `rows`. */
const cells = (rows: Locator) => rows.evaluateAll((list) => list.map((row) => [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim())));

/** Waits until `locator` matches `count` elements (no page.waitForFunction: the page's CSP forbids its eval). */
async function shown(locator: Locator, count: number, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; (await locator.count()) !== count; await sleep(50)) {
    if (Date.now() > deadline) assert.fail(`${what}: ${await locator.count()}, not ${count}`);
  }
}

/** Asks the Fleet page to load again (its Apply button), then waits until `predicate` holds for `locator`'s text. */
async function reloadedUntil(page: Page, locator: Locator, predicate: (shownText: string) => boolean, what: string): Promise<void> {
  await page.click('#fleet-filters button[type="submit"]');
  for (const deadline = Date.now() + 10_000; !predicate(await text(locator)); await sleep(50)) {
    if (Date.now() > deadline) assert.fail(`${what}: ${await text(locator)}`);
  }
}

test(
  'web UI: the Fleet page shows each staged rollout with its halt and reason, its steps with machines per arm and state, the arm counters and the failing gates, all as text',
  { skip: BROWSER_SKIP, timeout: 90_000 },
  async (t) => {
    const collector = await startTestCollector(t, { settings: { admin_tokens: [{ name: 'alice', token: tokenDigest(ADMIN_TOKEN) }] } });
    for (const machine of ['c1', 'c2', 'c3', 'c4'])
      await postRolloutStatus(collector, { machine, created: T, arm: 'candidate', state: 'baking', counters: { accepted: 5, delivered: 5, failed: 0, dropped: {} } });
    for (const machine of ['s1', 's2']) {
      await postRolloutStatus(collector, { machine, created: T, arm: 'stable', state: 'waiting', counters: { accepted: 8, delivered: 6, failed: 2, dropped: { rate_limited: 2 } } });
    }
    // A machine a halt rolled back is not a failure of the step; one rolled back by a gate and one failed are: 2 of 4.
    await postRolloutStatus(collector, { machine: 'c4', created: T + 10, arm: 'candidate', state: 'rolled_back', gate: { name: 'halt', value: null, threshold: null } });
    await postRolloutStatus(collector, { machine: 'c1', created: T + 20, arm: 'candidate', state: 'rolled_back', gate: { name: HTML_GATE, value: 0.9, threshold: 0.2 } });
    await postRolloutStatus(collector, { machine: 'c2', created: T + 30, arm: 'candidate', state: 'failed', gate: { name: 'policy', value: null, threshold: null } });
    await halted(collector, 'limits-1');
    // Another rollout on the channel, running.
    await postRolloutStatus(collector, { id: 'canary-2', machine: 'k1', created: T + 40, arm: 'candidate', state: 'baking' });
    await postRolloutStatus(collector, { id: 'canary-2', machine: 'k2', created: T + 40, arm: 'stable', state: 'waiting' });

    const { page, problems } = await openPage(t);
    await page.goto(`${collector.url}#fleet`);
    await shown(page.locator('#fleet-rollouts .rollout'), 2, 'rollout blocks');
    assert.equal(await page.locator('#no-rollouts').isVisible(), false);

    const rollout = page.locator('#fleet-rollouts [data-rollout="limits-1"]');
    assert.equal(await text(rollout.locator('h3')), 'limits-1 on stable, sequence 8, 6 machines');
    assert.equal(await text(rollout.locator('.halt.halted .halt-reason')), HALT_REASON);
    assert.match(await text(rollout.locator('.halt')), new RegExp(`^halted by collector at .+: ${HALT_REASON.replace(/[()%]/g, '\\$&')}$`));
    assert.equal(await rollout.locator('.halt.halted').isVisible(), true);

    // Each step: its percent, time window (step 0 ends when step 1 begins), max_failure_rate, machines per arm and state.
    const steps = await cells(rollout.locator('table.rollout-steps tbody tr'));
    assert.equal(steps.length, 2);
    const [first, second] = steps;
    assert.deepEqual([first?.[0], first?.[1], first?.[3], first?.[4]], ['0', '10%', '25%', 'candidate: baking 1 rolled_back 2 failed 1 stable: waiting 2']);
    assert.deepEqual([second?.[0], second?.[1], second?.[3], second?.[4]], ['1', '50%', '5%', 'no machine']);
    const [begins0, ends0] = (first?.[2] ?? '').split(' – ');
    const [begins1] = (second?.[2] ?? '').split(' – ');
    assert.ok(begins0 && ends0 && ends0 !== begins0, `step 0's window: ${first?.[2]}`);
    assert.equal(ends0, begins1, "step 0's window ends when step 1's begins");
    const step0 = rollout.locator('table.rollout-steps tr[data-step="0"]');
    assert.equal(await text(step0.locator('[data-arm="candidate"]')), 'candidate: baking 1 rolled_back 2 failed 1');
    assert.equal(await text(step0.locator('[data-arm="stable"]')), 'stable: waiting 2');

    // The arms' counters: candidates counted while baking, the stable arm while waiting; the ratios as percentages.
    assert.deepEqual(await cells(rollout.locator('table.rollout-arms tbody tr')), [
      ['candidate', '4', '20', '20', '0', '0', '0%', '0%'],
      ['stable', '2', '16', '12', '4', '4', '25%', '25%'],
    ]);

    // The failing gates: name, machines, highest value, threshold; a gate name with HTML in it is text.
    assert.deepEqual(await cells(rollout.locator('table.rollout-gates tbody tr')), [
      [HTML_GATE, '1', '0.9', '0.2'],
      ['halt', '1', '—', '—'],
      ['policy', '1', '—', '—'],
    ]);
    assert.equal(await page.locator('img, b').count(), 0, 'no element made from record data');

    const canary = page.locator('#fleet-rollouts [data-rollout="canary-2"]');
    assert.equal(await text(canary.locator('.halt')), 'running');
    assert.equal(await text(canary.locator('h3')), 'canary-2 on stable, sequence 8, 2 machines');
    assert.equal(await text(canary.locator('.no-gates')), 'No machine failed a gate.');
    await page.screenshot({ path: artifactPath('collector-ui-fleet-rollouts.png'), fullPage: true });

    // An operator's halt, its reason with HTML in it: shown as text too.
    const response = await fetch(new URL('/api/fleet/rollouts/canary-2/halt', collector.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ channel: 'stable', reason: HTML_REASON }),
    });
    assert.equal(response.status, 200);
    await reloadedUntil(page, canary.locator('.halt'), (shownText) => shownText.startsWith('halted'), 'canary-2 halted');
    assert.equal(await text(canary.locator('.halt.halted .halt-reason')), HTML_REASON);
    assert.match(await text(canary.locator('.halt')), /^halted by alice at .+: <img src=x onerror=alert\(2\)> <b>error rate<\/b> on the dashboard$/);
    assert.equal(await page.locator('img, b').count(), 0, 'no element made from a halt reason');

    // Narrow (420 px): each rollout block stays within the page's width, its tables scroll inside it.
    await page.setViewportSize({ width: 420, height: 800 });
    const box = await rollout.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 420, `the rollout block at 420 px: ${JSON.stringify(box)}`);
    await page.screenshot({ path: artifactPath('collector-ui-fleet-rollouts-narrow.png'), fullPage: true });

    assert.deepEqual(problems, [], 'no script errors or CSP violations');
  },
);

test('web UI: the Fleet page without any staged rollout says how to start one', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const collector = await startTestCollector(t);
  await postStatus(collector, { machine: '0a11ce', created: T, active: 13, previous: 12, state: 'healthy' });
  const { page, problems } = await openPage(t);
  await page.goto(`${collector.url}#fleet`);
  await shown(page.locator('#fleet-table tbody tr'), 1, 'machine rows');
  assert.equal(await page.locator('#no-rollouts').isVisible(), true);
  assert.equal(await text(page.locator('#no-rollouts')), 'No staged rollout yet: build a bundle with telem bundle build --rollout FILE.');
  assert.equal(await page.locator('#fleet-rollouts .rollout').count(), 0);
  assert.deepEqual(problems, [], 'no script errors or CSP violations');
});
