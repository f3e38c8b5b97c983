/**
 * Staged rollouts with real agents (issue 15): `telem run` processes with their own roots and
 * planted cohort seeds, a real HTTP file server for the bundle, bakes of seconds. Which machines
 * take a step is decided by each machine alone, from its seed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyPair, parsePrivateKey } from '../../engine/fleet/keys.js';
import { startAgent } from '../helpers/agent-process.js';
import { startBundleServer } from '../helpers/bundle-server.js';
import { runCli } from '../helpers/cli.js';
import { closedPort } from '../helpers/closed-port.js';
import { type Machine, makeBundle, testRollout, plantedSeeds, readStatus, rolloutOf, startMachines, tookIt, waitForStatus } from '../helpers/fleet-agent.js';
import { sendRaw } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const pair = generateKeyPair();
const key = parsePrivateKey(pair.privatePem, 'test key');

function localPolicy(source: string, allowed: string[] = ['/var/log/telemetry']): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: local, revision: 1 }
consent: { require_opt_in: false }
fleet:
  source: "${source}"
  channel: stable
  trusted_keys: ["${pair.publicKey}"]
  allowed_destinations: ${JSON.stringify(allowed)}
  poll_interval: 300ms
destinations: { out: { type: file, path: /var/log/telemetry/local.ndjson } }
routes: [{ name: all, to: [out] }]
`;
}

function bundlePolicy(revision: number, destination = `{ type: file, path: /var/log/telemetry/bundle-${revision}.ndjson }`): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: fleet-x, revision: ${revision} }
consent: { require_opt_in: false }
destinations: { out: ${destination} }
routes: [{ name: all, to: [out] }]
`;
}

test('staged rollout: of 20 agents with planted seeds, exactly those with a bucket below 2500 take the bundle at 25%, those below 5000 at the 50% step, no other ever', async (t) => {
  const id = 'limits-25-50';
  const [first, second, rest] = plantedSeeds(id, [
    { from: 0, to: 2500, count: 5 },
    { from: 2500, to: 5000, count: 5 },
    { from: 5000, to: 10_000, count: 10 },
  ]) as [{ seed: string; bucket: number }[], { seed: string; bucket: number }[], { seed: string; bucket: number }[]];
  const server = await startBundleServer(t);
  const work = await tempDir(t);
  const machines = await startMachines(t, [...first, ...second, ...rest], localPolicy(server.url));
  const inFirst = machines.slice(0, 5);
  const inSecond = machines.slice(5, 10);
  const outside = machines.slice(10);

  const spec = testRollout(id, [
    { percent: 25, bake: '12s' },
    { percent: 50, bake: '30s' },
  ]);
  const secondBegins = Date.parse(spec.steps[1]?.begins as string);
  await server.publish(await makeBundle(work, 'b7', bundlePolicy(7), 7, { key, rollout: spec }));

  // Step 0: the five below 2500 take it; every other machine has seen it and waits.
  for (const machine of inFirst) {
    const status = await waitForStatus(machine.root, (s) => rolloutOf(s)?.arm === 'candidate', `bucket ${machine.bucket} takes step 0`, 15_000);
    assert.equal(status.fleet?.active?.sequence, 7);
    assert.equal(rolloutOf(status)?.step, 0, `bucket ${machine.bucket} took it in step 0`);
  }
  for (const machine of [...inSecond, ...outside]) {
    await waitForStatus(machine.root, (s) => rolloutOf(s)?.id === id, `bucket ${machine.bucket} sees the rollout`, 15_000);
  }
  if (Date.now() < secondBegins - 500) {
    for (const machine of [...inSecond, ...outside]) {
      const status = readStatus(machine.root);
      assert.equal(rolloutOf(status)?.arm, 'stable', `bucket ${machine.bucket} is not in step 0`);
      assert.equal(rolloutOf(status)?.state, 'waiting');
      assert.equal(status?.fleet?.active, null, `bucket ${machine.bucket} still runs its local policy`);
    }
  }

  // Step 1 (50%): the next five take it, in step 1; the first five finished their bake healthy.
  for (const machine of inSecond) {
    const status = await waitForStatus(machine.root, (s) => rolloutOf(s)?.arm === 'candidate', `bucket ${machine.bucket} takes step 1`, Math.max(0, secondBegins - Date.now()) + 15_000);
    assert.equal(rolloutOf(status)?.step, 1, `bucket ${machine.bucket} took it in step 1, not before`);
    assert.ok(Date.parse(status.fleet?.active?.at as string) >= secondBegins, 'not before step 1 began');
  }
  for (const machine of inFirst) {
    const status = await waitForStatus(machine.root, (s) => rolloutOf(s)?.state === 'healthy', `bucket ${machine.bucket} ends its bake healthy`, 15_000);
    assert.equal(status.fleet?.state, 'healthy');
    assert.equal(rolloutOf(status)?.gate, null);
  }
  // Several polls into step 1, the other ten still wait, on their local policy.
  await sleep(1500);
  for (const machine of outside) {
    const status = readStatus(machine.root);
    assert.equal(rolloutOf(status)?.arm, 'stable', `bucket ${machine.bucket} stays out`);
    assert.equal(rolloutOf(status)?.state, 'waiting');
    assert.equal(rolloutOf(status)?.step, 1, 'the stable arm reports the step in force');
    assert.equal(status?.fleet?.active, null);
    assert.equal(tookIt(machine), false);
  }
  // The status file says the arm, never the bucket.
  assert.ok(!JSON.stringify(readStatus(inFirst[0]?.root as string)).includes('bucket'));
});

test('staged rollout: a bundle sending everything to an unreachable destination is rolled back by every cohort agent within its bake, each reporting the gate, and never taken again', async (t) => {
  const id = 'unreachable-50';
  const [inside, outside] = plantedSeeds(id, [
    { from: 0, to: 5000, count: 3 },
    { from: 5000, to: 10_000, count: 3 },
  ]) as [{ seed: string; bucket: number }[], { seed: string; bucket: number }[]];
  const port = await closedPort();
  const server = await startBundleServer(t);
  const work = await tempDir(t);
  const machines = await startMachines(t, [...inside, ...outside], localPolicy(server.url, ['/var/log/telemetry', `http://127.0.0.1:${port}/`]));
  await server.publish(await makeBundle(work, 'b1', bundlePolicy(1), 1, { key }));
  for (const machine of machines) await waitForStatus(machine.root, (s) => s.fleet?.active?.sequence === 1, `bucket ${machine.bucket} runs bundle 1`, 15_000);

  const bakeMs = 6000;
  const spec = testRollout(id, [{ percent: 50, bake: `${bakeMs}ms` }]);
  await server.publish(await makeBundle(work, 'b2', bundlePolicy(2, `{ type: http, url: "http://127.0.0.1:${port}/v3/collector" }`), 2, { key, rollout: spec }));

  const cohort = machines.slice(0, 3);
  await Promise.all(
    cohort.map(async (machine) => {
      await waitForStatus(machine.root, (s) => rolloutOf(s)?.arm === 'candidate', `bucket ${machine.bucket} takes the bundle`, 15_000);
      // Records the candidate cannot deliver (sent while it bakes, or already under bundle 1 again).
      // One frame per connection, as libtelemetry sends them (the agent closes a connection once its first record is durable).
      for (let sent = 0; sent < 2; sent += 1) assert.equal(await sendRaw(machine.agent.socketPath, [testFrame({ payload: 'during the bake' })]), null);
      const status = await waitForStatus(machine.root, (s) => rolloutOf(s)?.state === 'rolled_back', `bucket ${machine.bucket} rolls back`, bakeMs + 10_000);
      const gate = rolloutOf(status)?.gate;
      assert.equal(gate?.name, 'delivery_failure_ratio', JSON.stringify(gate));
      assert.ok((gate?.value ?? 0) > 0.2, JSON.stringify(gate));
      assert.equal(gate?.threshold, 0.2);
      assert.equal(status.fleet?.active?.sequence, 1, 'back on the bundle before');
      assert.equal(status.fleet?.lastFailed?.sequence, 2);
      assert.match(status.fleet?.lastFailed?.reason ?? '', /^rollout gate delivery_failure_ratio: /);
      const baked = Date.parse(status.fleet?.lastFailed?.at as string) - Date.parse(status.fleet?.lastActivationAt as string);
      assert.ok(baked >= 0 && baked <= bakeMs + 1000, `rolled back ${baked} ms after taking it, within the ${bakeMs} ms bake`);
    }),
  );
  // Each reports it in a status record, delivered under bundle 1 again, with the gate, the value and the threshold.
  for (const machine of cohort) {
    const deadline = Date.now() + 10_000;
    let reported: { rollout?: { state: string; arm: string; gate: { name: string; value: number; threshold: number } | null } } | undefined;
    while (reported === undefined && Date.now() < deadline) {
      const lines = (await readFile(path.join(machine.root, 'var/log/telemetry/bundle-1.ndjson'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      reported = lines
        .map((line) => JSON.parse(line) as { classification?: string; payload?: string })
        .filter((record) => record.classification === 'org.telem/agent/status')
        .map((record) => JSON.parse(record.payload ?? '{}') as NonNullable<typeof reported>)
        .find((payload) => payload.rollout?.state === 'rolled_back');
      if (reported === undefined) await sleep(100);
    }
    assert.equal(reported?.rollout?.arm, 'candidate');
    assert.equal(reported?.rollout?.gate?.name, 'delivery_failure_ratio');
    assert.equal(reported?.rollout?.gate?.threshold, 0.2);
  }
  // telem status on the machine says where it is in the rollout, with the gate.
  const text = await runCli(['--root', cohort[0]?.root as string, 'status']);
  assert.match(text.stdout, /^fleet rollout: "unreachable-50" \(bundle 2\): candidate arm, rolled_back, step 0 \(50%\); gate delivery_failure_ratio: [\d.]+ over 0\.2$/m);
  // Outside the cohort nothing happened; inside, several polls later and after a restart, sequence 2 is not taken again.
  await sleep(1500);
  for (const machine of machines.slice(3)) {
    const status = readStatus(machine.root);
    assert.equal(status?.fleet?.active?.sequence, 1);
    assert.equal(rolloutOf(status)?.state, 'waiting');
    assert.equal(tookIt(machine), false);
  }
  const again = cohort[0] as Machine;
  await again.agent.stop();
  again.agent = await startAgent(t, { root: again.root, policy: path.join(again.root, 'policy.yaml') });
  await sleep(1500);
  const restarted = readStatus(again.root);
  assert.equal(restarted?.pid, again.agent.child.pid);
  assert.equal(restarted?.fleet?.active?.sequence, 1);
  assert.equal(rolloutOf(restarted)?.state, 'rolled_back');
  assert.equal(tookIt(again), false);
});

test('staged rollout: an agent killed -9 more often than max_restarts while baking rolls back at its next start, reporting the restarts gate', async (t) => {
  const id = 'crash-loop';
  const [inside] = plantedSeeds(id, [{ from: 0, to: 10_000, count: 1 }]) as [{ seed: string; bucket: number }[]];
  const server = await startBundleServer(t);
  const work = await tempDir(t);
  const [machine] = (await startMachines(t, inside, localPolicy(server.url))) as [Machine];
  await server.publish(await makeBundle(work, 'b1', bundlePolicy(1), 1, { key }));
  await waitForStatus(machine.root, (s) => s.fleet?.active?.sequence === 1, 'bundle 1 runs', 15_000);
  await server.publish(await makeBundle(work, 'b2', bundlePolicy(2), 2, { key, rollout: testRollout(id, [{ percent: 100, bake: '2m' }], { max_restarts: 1 }) }));
  await waitForStatus(machine.root, (s) => rolloutOf(s)?.state === 'baking', 'bundle 2 baking', 15_000);
  const policy = path.join(machine.root, 'policy.yaml');

  // One start during the bake is tolerated: still baking on bundle 2.
  await machine.agent.kill();
  machine.agent = await startAgent(t, { root: machine.root, policy });
  const once = await waitForStatus(machine.root, (s) => s.pid === machine.agent.child.pid, 'the restarted agent', 10_000);
  assert.equal(rolloutOf(once)?.state, 'baking');
  assert.equal(once.fleet?.active?.sequence, 2);

  // The second is a crash loop: rolled back before bundle 2 runs again.
  await machine.agent.kill();
  machine.agent = await startAgent(t, { root: machine.root, policy });
  const status = await waitForStatus(machine.root, (s) => s.pid === machine.agent.child.pid && rolloutOf(s)?.state === 'rolled_back', 'rolled back at start', 10_000);
  assert.deepEqual(rolloutOf(status)?.gate, { name: 'restarts', value: 2, threshold: 1 });
  assert.equal(status.fleet?.active?.sequence, 1);
  assert.ok(machine.agent.logs.some((line) => line.msg === 'starting from the active fleet bundle' && (line as { sequence?: number }).sequence === 1));
});
