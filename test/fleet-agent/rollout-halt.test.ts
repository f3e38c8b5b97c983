/**
 * A staged rollout halted by the collector (issue 15): real agents (`telem run`, planted cohort
 * seeds) deliver their status records to a real collector and poll its control document
 * (fleet.control); the cohort of step 0 takes a bundle that cannot deliver, rolls back, and the
 * collector halts the rollout; the machines outside the cohort never take it, not even when the
 * next step (100%) begins. `telem fleet status --format json` shows the halt and the arms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FleetAnswer, RolloutView } from '../../engine/collector/query/answers.js';
import { generateKeyPair, parsePrivateKey } from '../../engine/fleet/keys.js';
import { getJson, startTestCollector } from '../collector/collector-helpers.js';
import { startBundleServer } from '../helpers/bundle-server.js';
import { runCli } from '../helpers/cli.js';
import { closedPort } from '../helpers/closed-port.js';
import { makeBundle, plantedSeeds, readStatus, rolloutOf, startMachines, testRollout, tookIt, waitForStatus } from '../helpers/fleet-agent.js';
import { sendRaw } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const pair = generateKeyPair();
const key = parsePrivateKey(pair.privatePem, 'test key');
const RETRY = 'spool: { retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }';

function localPolicy(source: string, collector: string, unreachable: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: local, revision: 1 }
consent: { require_opt_in: false }
${RETRY}
fleet:
  source: "${source}"
  control: "${collector}"
  channel: stable
  trusted_keys: ["${pair.publicKey}"]
  allowed_destinations: ["${collector}", "${unreachable}"]
  poll_interval: 300ms
destinations: { out: { type: http, protocol: v3, url: "${collector}v3/collector" } }
routes: [{ name: all, to: [out] }]
`;
}

function bundlePolicy(revision: number, url: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: fleet-x, revision: ${revision} }
consent: { require_opt_in: false }
${RETRY}
destinations: { out: { type: http, protocol: v3, url: "${url}" } }
routes: [{ name: all, to: [out] }]
`;
}

test(
  'staged rollout halted by the collector: the step-0 cohort rolls back, the collector halts the rollout, the machines outside the cohort never take it, and telem fleet status shows why',
  { timeout: 180_000 },
  async (t) => {
    const id = 'halted-20';
    const [inside, outside] = plantedSeeds(id, [
      { from: 0, to: 2000, count: 2 },
      { from: 2000, to: 10_000, count: 4 },
    ]) as [{ seed: string; bucket: number }[], { seed: string; bucket: number }[]];
    const collector = await startTestCollector(t);
    const unreachable = `http://127.0.0.1:${await closedPort()}/`;
    const server = await startBundleServer(t);
    const work = await tempDir(t);
    const machines = await startMachines(t, [...inside, ...outside], localPolicy(server.url, collector.url, unreachable));
    await server.publish(await makeBundle(work, 'b1', bundlePolicy(1, `${collector.url}v3/collector`), 1, { key }));
    for (const machine of machines) await waitForStatus(machine.root, (s) => s.fleet?.active?.sequence === 1, `bucket ${machine.bucket} runs bundle 1`, 20_000);

    // Step 0 (20%) bakes for 25 s, then step 1 reaches every machine: unless the rollout is halted.
    const spec = testRollout(id, [
      { percent: 20, bake: '25s', max_failure_rate: 0.25 },
      { percent: 100, bake: '1h' },
    ]);
    const stepOneBegins = Date.parse(spec.steps[1]?.begins as string);
    await server.publish(await makeBundle(work, 'b2', bundlePolicy(2, `${unreachable}v3/collector`), 2, { key, rollout: spec }));

    const cohort = machines.slice(0, 2);
    const rest = machines.slice(2);
    await Promise.all(
      cohort.map(async (machine) => {
        await waitForStatus(machine.root, (s) => rolloutOf(s)?.arm === 'candidate', `bucket ${machine.bucket} takes the bundle`, 15_000);
        // One frame per connection, as libtelemetry sends them (the agent closes a connection once its first record is durable).
        for (let sent = 0; sent < 2; sent += 1) assert.equal(await sendRaw(machine.agent.socketPath, [testFrame({ payload: 'while baking' })]), null);
        // By its own gate, or by the halt the first one's failure caused.
        const status = await waitForStatus(machine.root, (s) => rolloutOf(s)?.state === 'rolled_back', `bucket ${machine.bucket} rolls back`, 25_000);
        return rolloutOf(status)?.gate?.name;
      }),
    ).then((gates) => {
      assert.ok(gates.includes('delivery_failure_ratio'), JSON.stringify(gates));
      for (const gate of gates) assert.ok(gate === 'delivery_failure_ratio' || gate === 'halt', JSON.stringify(gates));
    });

    // The collector halts it from their status records, and serves the halt.
    const deadline = Date.now() + 15_000;
    let view: RolloutView | undefined;
    while (Date.now() < deadline) {
      view = (await getJson<FleetAnswer>(collector, '/api/fleet')).body.rollouts.find((rollout) => rollout.id === id);
      if (view?.halt.halted) break;
      await sleep(200);
    }
    assert.equal(view?.halt.halted, true, JSON.stringify(view));
    assert.ok(Date.now() < stepOneBegins, 'halted before step 1 began (the bake is long enough for this machine)');
    const control = (await getJson<{ rollouts: Record<string, { halted: boolean; reason: string }> }>(collector, '/fleet/stable/control')).body;
    // The first candidate to fail is enough: 1 of 1 or 2, 1 or 2 of 2, each above 25%.
    assert.match(control.rollouts[id]?.reason ?? '', /^step 0: [12] of [12] machines failed or rolled back \((100|50)% > max_failure_rate 25%\)$/);

    // Past the start of step 1 (100%): the machines outside the cohort hold, halted, on bundle 1.
    for (const machine of rest) await waitForStatus(machine.root, (s) => rolloutOf(s)?.state === 'halted', `bucket ${machine.bucket} sees the halt`, 15_000);
    await sleep(Math.max(0, stepOneBegins - Date.now()) + 2000);
    for (const machine of rest) {
      const status = readStatus(machine.root);
      assert.equal(rolloutOf(status)?.state, 'halted', `bucket ${machine.bucket}`);
      assert.equal(rolloutOf(status)?.arm, 'stable');
      assert.equal(rolloutOf(status)?.step, 1, 'the step in force is 1, and still it holds');
      assert.equal(status?.fleet?.active?.sequence, 1);
      assert.equal(tookIt(machine), false, `bucket ${machine.bucket} never took the bundle`);
    }

    // telem fleet status --format json: halted, the reason, machines per arm and state.
    const fleetStatus = await runCli(['fleet', 'status', '--collector', collector.url, '--format', 'json']);
    assert.equal(fleetStatus.code, 0, fleetStatus.stderr);
    const listed = (JSON.parse(fleetStatus.stdout) as FleetAnswer).rollouts.find((rollout) => rollout.id === id);
    assert.ok(listed, fleetStatus.stdout);
    assert.equal(listed.halt.halted, true);
    assert.equal(listed.halt.by, 'collector');
    assert.equal(listed.halt.reason, control.rollouts[id]?.reason);
    assert.equal(listed.sequence, 2);
    assert.equal(listed.machines, 6);
    assert.deepEqual(listed.steps[0]?.machines.candidate, { rolled_back: 2 });
    const stable = { ...listed.steps[0]?.machines.stable, ...listed.steps[1]?.machines.stable } as Record<string, number>;
    assert.equal(
      Object.values(stable).reduce((sum, n) => sum + n, 0),
      4,
      JSON.stringify(listed.steps),
    );
    // Machines that counted on an arm: the cohort too waited briefly on the stable arm while it checked the bundle.
    assert.ok(listed.arms.stable.machines >= 4, JSON.stringify(listed.arms));
    assert.equal(listed.arms.candidate.machines, 2);
    assert.ok(listed.arms.candidate.failed > 0, JSON.stringify(listed.arms));
    const gates = Object.fromEntries(listed.failing_gates.map(({ name, machines }) => [name, machines]));
    assert.ok((gates.delivery_failure_ratio ?? 0) >= 1 && (gates.delivery_failure_ratio ?? 0) + (gates.halt ?? 0) === 2, JSON.stringify(listed.failing_gates));
    const text = await runCli(['fleet', 'status', '--collector', collector.url]);
    assert.match(text.stdout, new RegExp(`${id} on stable, sequence 2, 6 machines: HALTED by collector at .*: step 0: [12] of [12] machines failed`));
    assert.match(text.stdout, /gate delivery_failure_ratio failed on [12] machines? \(up to /);
  },
);
