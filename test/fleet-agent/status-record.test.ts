/**
 * The agent's status through its own pipeline (issue 14 item 4): org.telem/agent/status records at
 * every fleet state change and every fleet.status_interval, reaching a real destination (a file),
 * with consent and routes applying to them like any record. Real agents (`telem run`).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildBundle } from '../../engine/fleet/bundle.js';
import { generateKeyPair, parsePrivateKey } from '../../engine/fleet/keys.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { MACHINE_ID_PLACEHOLDER } from '../../engine/record/fields.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { sendRaw } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const pair = generateKeyPair();
const signingKey = parsePrivateKey(pair.privatePem, 'test key');

interface StatusPayload {
  format_version: number;
  agent_version: string;
  policy: { channel: string; active: number | null; previous: number | null; desired: number | null; state: string; last_failed: { sequence: number | null; reason: string } | null };
  counters: { accepted: number; delivered: number; failed: number; dropped: Record<string, number>; spool_bytes: number };
  health: { intake: string; spool: string; destinations: Record<string, string> };
  rollout: unknown;
}

function policyYaml(options: { name: string; revision?: number; optIn?: boolean; fleet: string; file: string; destination?: string; routes?: string }): string {
  const destination = options.destination ?? 'out';
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: ${options.name}, revision: ${options.revision ?? 1} }
consent: { require_opt_in: ${options.optIn ?? false} }
fleet: { ${options.fleet} }
destinations: { ${destination}: { type: file, path: /var/log/telemetry/${options.file} } }
routes: ${options.routes ?? `[{ name: all, to: [${destination}] }]`}
`;
}

async function makeBundle(dir: string, sequence: number, yaml: string): Promise<Buffer> {
  const file = await writePolicy(dir, yaml, `b${sequence}.policy.yaml`);
  const checked = await checkPolicyFile({ file });
  assert.ok(checked.policy, JSON.stringify(checked.diagnostics));
  return buildBundle({ policy: checked.policy, sources: new Map(), keys: [signingKey], channel: 'stable', sequence, expiresMs: 86_400_000 });
}

/** The status records written to the file destinations `files` under the root, in order of each file. */
async function statusRecords(root: string, files: readonly string[]): Promise<{ headers: Record<string, string>; payload: StatusPayload }[]> {
  const out: { headers: Record<string, string>; payload: StatusPayload }[] = [];
  for (const file of files) {
    const text = await readFile(path.join(root, 'var/log/telemetry', file), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = JSON.parse(line) as Record<string, string>;
      if (record.classification === 'org.telem/agent/status') out.push({ headers: record, payload: JSON.parse(record.payload as string) as StatusPayload });
    }
  }
  return out;
}

async function waitForRecords(root: string, files: readonly string[], predicate: (records: Awaited<ReturnType<typeof statusRecords>>) => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let records: Awaited<ReturnType<typeof statusRecords>> = [];
  while (Date.now() < deadline) {
    records = await statusRecords(root, files);
    if (predicate(records)) return records;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms; status records: ${JSON.stringify(records.map((record) => record.payload))}`);
}

test('status records: every fleet state change and every status_interval, through the routes to a destination, with the payload the collector reads', async (t) => {
  const root = await tempDir(t);
  const work = await tempDir(t);
  const source = path.join(work, 'channel.bundle');
  const fleet = `source: "${source}", trusted_keys: ["${pair.publicKey}"], allowed_destinations: ["/var/log/telemetry"], poll_interval: 200ms, status_interval: 400ms`;
  await writeFile(source, await makeBundle(work, 5, policyYaml({ name: 'fleet-x', revision: 5, fleet: 'status_interval: 400ms', file: 'bundle.ndjson', destination: 'fleet_out' })));
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policyYaml({ name: 'local', fleet, file: 'local.ndjson' })) });
  const files = ['local.ndjson', 'bundle.ndjson'];

  const changes = await waitForRecords(
    root,
    files,
    (records) => records.some((record) => record.payload.policy.state === 'healthy' && record.payload.policy.active === 5),
    'a status record saying bundle 5 is healthy',
  );
  const states = changes.map((record) => record.payload.policy.state);
  for (const state of ['downloading', 'verifying', 'applying', 'applied', 'healthy']) assert.ok(states.includes(state), `a record for ${state}: ${states.join(', ')}`);
  // Records made before the bundle ran took the local policy's route to "out"; the bundle removed
  // "out", so those not yet delivered were re-routed to its "fleet_out", as any record is: the
  // order across the two files is not the order they were made in, each state is there once.
  for (const state of ['downloading', 'verifying', 'applying', 'applied']) assert.equal(states.filter((found) => found === state).length, 1, `${state} once: ${states.join(', ')}`);
  assert.deepEqual(changes.find((record) => record.payload.policy.state === 'applying')?.payload.policy.active, null, 'while applying, nothing is active yet');
  assert.deepEqual(changes.find((record) => record.payload.policy.state === 'applied')?.payload.policy.active, 5);

  // The first record (at start, before any bundle ran) says the local policy is healthy, active null.
  assert.deepEqual(changes.find((record) => record.payload.policy.active === null && record.payload.policy.state === 'healthy')?.payload.policy.desired, null);
  const healthy = changes.find((record) => record.payload.policy.state === 'healthy' && record.payload.policy.active === 5) as (typeof changes)[number];
  assert.deepEqual(Object.keys(healthy.payload), ['format_version', 'agent_version', 'policy', 'counters', 'health', 'rollout']);
  assert.equal(healthy.payload.format_version, 1);
  assert.equal(healthy.payload.rollout, null, 'a bundle without a rollout');
  assert.match(healthy.payload.agent_version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(healthy.payload.policy, { channel: 'stable', active: 5, previous: null, desired: 5, state: 'healthy', last_failed: null });
  assert.deepEqual(Object.keys(healthy.payload.counters), ['accepted', 'delivered', 'failed', 'dropped', 'spool_bytes']);
  assert.deepEqual(Object.keys(healthy.payload.health), ['intake', 'spool', 'destinations']);
  assert.equal(healthy.payload.health.intake, 'ok');
  assert.equal(healthy.payload.health.spool, 'ok');
  // "out" may still be listed as removed while records for it were being re-routed.
  assert.equal(healthy.payload.health.destinations.fleet_out, 'ok');
  assert.ok([undefined, 'removed'].includes(healthy.payload.health.destinations.out), JSON.stringify(healthy.payload.health));
  assert.equal(healthy.headers.severity, '1');
  assert.notEqual(healthy.headers.machine_id, MACHINE_ID_PLACEHOLDER, 'the machine id is set as for a probe record');

  // Every status_interval after that, with the counters since the last one.
  const before = (await statusRecords(root, ['bundle.ndjson'])).length;
  for (const payload of ['one', 'two', 'three']) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
  const periodic = await waitForRecords(root, ['bundle.ndjson'], (records) => records.length >= before + 3, 'three periodic status records', 5000);
  const later = periodic.slice(before);
  assert.ok(later.every((record) => record.payload.policy.state === 'healthy' && record.payload.policy.active === 5));
  const accepted = later.reduce((sum, record) => sum + record.payload.counters.accepted, 0);
  // The three probe records, plus the status records themselves (each is a record the agent accepted).
  assert.ok(accepted >= 3 && accepted <= 3 + later.length + 1, `accepted across the periodic records: ${accepted}`);
  assert.ok(later.some((record) => record.payload.counters.delivered > 0));
  const gaps = later.slice(1).map((record, index) => Number(record.headers.creation_timestamp) - Number(later[index]?.headers.creation_timestamp));
  assert.ok(
    gaps.every((gap) => gap <= 2),
    `about one every 400 ms: gaps ${gaps.join(', ')} s`,
  );

  // A refused bundle: failed, with last_failed naming it and the reason.
  await writeFile(
    source,
    await makeBundle(
      work,
      6,
      policyYaml({ name: 'fleet-x', revision: 6, optIn: false, fleet: 'status_interval: 400ms', file: 'bundle.ndjson', destination: 'fleet_out' }).replace(
        '/var/log/telemetry/bundle.ndjson',
        '/srv/elsewhere/x.ndjson',
      ),
    ),
  );
  const failed = await waitForRecords(root, ['bundle.ndjson'], (records) => records.some((record) => record.payload.policy.state === 'failed'), 'a status record saying failed');
  const failure = failed.find((record) => record.payload.policy.state === 'failed') as (typeof failed)[number];
  assert.equal(failure.payload.policy.active, 5);
  assert.equal(failure.payload.policy.desired, 6);
  assert.equal(failure.payload.policy.last_failed?.sequence, 6);
  assert.match(failure.payload.policy.last_failed?.reason ?? '', /^bundle-floor: .*destinations\.fleet_out\.path/);
});

test('status records: consent and routes apply to them like any record', async (t) => {
  const root = await tempDir(t);
  // No fleet source: the status record still comes every status_interval (active null), once this machine opts in.
  const policy = await writePolicy(root, policyYaml({ name: 'local', optIn: true, fleet: 'status_interval: 200ms', file: 'local.ndjson' }));
  const agent = await startAgent(t, { root, policy });
  await agent.waitForLog((line) => line.msg === 'status record not emitted: this machine has not opted in');
  await sleep(600);
  assert.deepEqual(await statusRecords(root, ['local.ndjson']), [], 'not opted in: no status record leaves');

  assert.equal((await runCli(['--root', root, 'opt-in'])).code, 0);
  const records = await waitForRecords(root, ['local.ndjson'], (found) => found.length >= 1, 'a status record after opting in');
  assert.deepEqual((records[0] as (typeof records)[number]).payload.policy, { channel: 'stable', active: null, previous: null, desired: null, state: 'healthy', last_failed: null });

  // A policy whose routes do not take org.telem/* does not send it.
  await writeFile(
    policy,
    policyYaml({
      name: 'local',
      revision: 2,
      optIn: true,
      fleet: 'status_interval: 200ms',
      file: 'local.ndjson',
      routes: '[{ name: probes, match: { classification: "org.clearlinux/*" }, to: [out] }]',
    }),
  );
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 2);
  await sleep(300);
  const settled = (await statusRecords(root, ['local.ndjson'])).length;
  await sleep(800);
  assert.equal((await statusRecords(root, ['local.ndjson'])).length, settled, 'no route: no status record');
});
