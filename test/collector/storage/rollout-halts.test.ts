/**
 * Staged rollouts on the collector, each backend (docs/rollout.md "The collector"): status records
 * carrying a rollout are aggregated per step and arm; the halt rules (step failures over
 * max_failure_rate, the candidate arm's rates over the stable arm's × compare_factor) halt the
 * rollout in the control document agents poll; operators halt and resume with an admin token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlDocument, FleetAnswer, RolloutView } from '../../../engine/collector/query/answers.js';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { BACKENDS, type CollectorUrl, getJson, startTestCollector } from '../collector-helpers.js';
import { postRolloutStatus } from '../status-records.js';

// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;
const ADMIN_TOKEN = 'rollout-admin-token-0123456789';

async function control(collector: CollectorUrl, channel = 'stable'): Promise<ControlDocument> {
  const answer = await getJson<ControlDocument>(collector, `/fleet/${channel}/control`);
  assert.equal(answer.status, 200);
  return answer.body;
}

/** The control document once the collector's evaluation after the last batch has run. */
async function controlSettled(collector: CollectorUrl, predicate: (document: ControlDocument) => boolean, what: string): Promise<ControlDocument> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const document = await control(collector);
    if (predicate(document)) return document;
    assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(document)}`);
    await sleep(50);
  }
}

async function rolloutView(collector: CollectorUrl, id = 'limits-1'): Promise<RolloutView> {
  const fleet = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
  const view = fleet.rollouts.find((rollout) => rollout.id === id);
  assert.ok(view, JSON.stringify(fleet.rollouts));
  return view;
}

async function admin(
  collector: CollectorUrl,
  action: 'halt' | 'resume',
  body: unknown,
  token: string | null = ADMIN_TOKEN,
  id = 'limits-1',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(`/api/fleet/rollouts/${id}/${action}`, collector.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token === null ? {} : { Authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const GATE = { name: 'delivery_failure_ratio', value: 0.9, threshold: 0.2 };

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `rollout halts on ${backend.name}: a step whose share of failed or rolled-back machines exceeds max_failure_rate halts the rollout, served in the control document with the reason`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      for (const machine of ['c1', 'c2', 'c3', 'c4'])
        await postRolloutStatus(collector, { machine, created: T, arm: 'candidate', state: 'baking', counters: { accepted: 5, delivered: 5, failed: 0, dropped: {} } });
      for (const machine of ['s1', 's2'])
        await postRolloutStatus(collector, { machine, created: T, arm: 'stable', state: 'waiting', counters: { accepted: 7, delivered: 7, failed: 0, dropped: {} } });
      // A machine a halt rolled back is not a failure of the step.
      await postRolloutStatus(collector, { machine: 'c4', created: T + 10, arm: 'candidate', state: 'rolled_back', gate: { name: 'halt', value: null, threshold: null } });
      // One of four by a gate: 25%, not above max_failure_rate 25%.
      await postRolloutStatus(collector, { machine: 'c1', created: T + 20, arm: 'candidate', state: 'rolled_back', gate: GATE });
      await sleep(300);
      assert.deepEqual(await control(collector), { format_version: 1, channel: 'stable', rollouts: { 'limits-1': { halted: false, reason: null, at: null, by: null } } });

      await postRolloutStatus(collector, { machine: 'c2', created: T + 30, arm: 'candidate', state: 'failed', gate: { name: 'policy', value: null, threshold: null } });
      const halted = await controlSettled(collector, (document) => document.rollouts['limits-1']?.halted === true, 'halted after the second failure');
      const halt = halted.rollouts['limits-1'];
      assert.equal(halt?.reason, 'step 0: 2 of 4 machines failed or rolled back (50% > max_failure_rate 25%)');
      assert.equal(halt?.by, 'collector');
      assert.ok(Date.parse(halt?.at ?? '') <= Date.now());
      // Another channel's control document does not list it.
      assert.deepEqual((await control(collector, 'beta')).rollouts, {});

      const view = await rolloutView(collector);
      assert.equal(view.channel, 'stable');
      assert.equal(view.sequence, 8);
      assert.equal(view.machines, 6);
      assert.deepEqual(view.steps[0]?.machines, { candidate: { baking: 1, rolled_back: 2, failed: 1 }, stable: { waiting: 2 } });
      assert.equal(view.steps[0]?.ends, view.steps[1]?.begins);
      assert.deepEqual(view.steps[1]?.machines, {});
      // Per-arm counts: candidates counted while baking, the stable arm while waiting.
      assert.deepEqual(
        { machines: view.arms.candidate.machines, accepted: view.arms.candidate.accepted, delivered: view.arms.candidate.delivered },
        { machines: 4, accepted: 20, delivered: 20 },
      );
      assert.deepEqual({ machines: view.arms.stable.machines, accepted: view.arms.stable.accepted }, { machines: 2, accepted: 14 });
      assert.deepEqual(
        view.failing_gates.map(({ name, machines }) => ({ name, machines })),
        [
          { name: 'delivery_failure_ratio', machines: 1 },
          { name: 'halt', machines: 1 },
          { name: 'policy', machines: 1 },
        ],
      );
      assert.deepEqual(view.halt, halt);
    },
  );

  test(`rollout halts on ${backend.name}: the candidate arm's delivery failure ratio above the stable arm's × compare_factor halts the rollout`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    for (let index = 0; index < 5; index += 1) {
      await postRolloutStatus(collector, { machine: `s${index}`, created: T, arm: 'stable', state: 'waiting', counters: { accepted: 100, delivered: 99, failed: 1, dropped: {} } });
    }
    // 6 failed of 30 requests: 20% against the stable arm's 1%, × 2 is 2%.
    await postRolloutStatus(collector, { machine: 'c0', created: T, arm: 'candidate', state: 'baking', counters: { accepted: 10, delivered: 12, failed: 3, dropped: {} } });
    await sleep(300);
    assert.equal((await control(collector)).rollouts['limits-1']?.halted, false, 'fewer than 20 candidate requests: not judged yet');
    await postRolloutStatus(collector, { machine: 'c1', created: T, arm: 'candidate', state: 'healthy', counters: { accepted: 10, delivered: 12, failed: 3, dropped: {} } });
    const halted = await controlSettled(collector, (document) => document.rollouts['limits-1']?.halted === true, 'halted by the arm comparison');
    assert.equal(halted.rollouts['limits-1']?.reason, 'candidate delivery failure ratio 20% > stable 1% × compare_factor 2');
    const view = await rolloutView(collector);
    assert.equal(view.arms.candidate.delivery_failure_ratio, 0.2);
    assert.equal(view.arms.stable.delivery_failure_ratio, 0.01);
  });

  test(`rollout halts on ${backend.name}: operators halt and resume with an admin token; a resume counts failures only from then on`, options, async (t) => {
    const collector = await startTestCollector(t, { backend, settings: { admin_tokens: [{ name: 'alice', token: tokenDigest(ADMIN_TOKEN) }] } });
    for (const machine of ['c1', 'c2']) await postRolloutStatus(collector, { machine, created: T, arm: 'candidate', state: 'baking' });

    assert.equal((await admin(collector, 'halt', { channel: 'stable' }, null)).status, 401);
    assert.equal((await admin(collector, 'halt', { channel: 'stable' }, 'not-the-token')).status, 401);
    assert.match(String((await admin(collector, 'halt', '{"channel":')).body.message), /should be JSON/);
    assert.equal((await admin(collector, 'halt', { channel: 'stable', extra: 1 })).status, 400);
    assert.equal((await admin(collector, 'halt', { channel: 'stable' }, ADMIN_TOKEN, 'never-seen')).status, 404);
    assert.equal((await admin(collector, 'halt', { channel: 'stable' }, ADMIN_TOKEN, '../etc')).status, 404, 'not a rollout path at all');
    assert.equal((await control(collector)).rollouts['limits-1']?.halted, false, 'refused requests change nothing');

    const halted = await admin(collector, 'halt', { channel: 'stable', reason: 'error rate on the dashboard' });
    assert.equal(halted.status, 200);
    assert.deepEqual({ halted: halted.body.halted, reason: halted.body.reason, by: halted.body.by }, { halted: true, reason: 'error rate on the dashboard', by: 'alice' });
    assert.equal((await control(collector)).rollouts['limits-1']?.reason, 'error rate on the dashboard');

    // Failures while halted, then a resume: they no longer count, a new one does.
    await postRolloutStatus(collector, { machine: 'c1', created: T + 10, arm: 'candidate', state: 'rolled_back', gate: GATE });
    const resumed = await admin(collector, 'resume', { channel: 'stable' });
    assert.equal(resumed.status, 200);
    assert.deepEqual({ halted: resumed.body.halted, by: resumed.body.by }, { halted: false, by: 'alice' });
    await postRolloutStatus(collector, { machine: 'c1', created: T + 20, arm: 'candidate', state: 'rolled_back', gate: GATE });
    await sleep(300);
    assert.equal((await control(collector)).rollouts['limits-1']?.halted, false, 'the machine rolled back before the resume does not halt it again');
    await postRolloutStatus(collector, { machine: 'c2', created: T + 30, arm: 'candidate', state: 'rolled_back', gate: GATE });
    const again = await controlSettled(collector, (document) => document.rollouts['limits-1']?.halted === true, 'halted by a failure after the resume');
    assert.equal(again.rollouts['limits-1']?.reason, 'step 0: 1 of 2 machines failed or rolled back (50% > max_failure_rate 25%)');
  });

  test(`rollout halts on ${backend.name}: without collector.admin_tokens halting answers 403 and nothing is halted`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    await postRolloutStatus(collector, { machine: 'c1', created: T, arm: 'candidate', state: 'baking' });
    const refused = await admin(collector, 'halt', { channel: 'stable' });
    assert.equal(refused.status, 403);
    assert.match(String(refused.body.message), /collector\.admin_tokens/);
    assert.equal((await control(collector)).rollouts['limits-1']?.halted, false);
  });
}
