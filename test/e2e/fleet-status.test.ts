/**
 * The fleet end to end: an agent applies a signed bundle from a real HTTP file server, its status
 * records travel its own routes to a real collector, and `telem fleet status` shows the machine on
 * the bundle's sequence, healthy; a machine with no bundle is shown on its local policy.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FleetAnswer } from '../../engine/collector/query/answers.js';
import { buildBundle } from '../../engine/fleet/bundle.js';
import { generateKeyPair, parsePrivateKey } from '../../engine/fleet/keys.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { startTestCollector } from '../collector/collector-helpers.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { startBundleServer } from '../helpers/bundle-server.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const pair = generateKeyPair();

async function fleetOf(collector: string): Promise<FleetAnswer> {
  const result = await runCli(['fleet', 'status', '--collector', collector, '--format', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as FleetAnswer;
}

async function waitForFleet(collector: string, predicate: (fleet: FleetAnswer) => boolean, what: string): Promise<FleetAnswer> {
  const deadline = Date.now() + 30_000;
  let last: FleetAnswer | null = null;
  while (Date.now() < deadline) {
    last = await fleetOf(collector);
    if (predicate(last)) return last;
    await sleep(250);
  }
  throw new Error(`${what}: not within 30 s; the collector's fleet: ${JSON.stringify(last)}`);
}

test('fleet end to end: an agent on a signed bundle reports through its own routes, and telem fleet status shows it healthy on that sequence', { timeout: 90_000 }, async (t) => {
  const collector = await startTestCollector(t);
  const ingest = new URL('v3/collector', collector.url).href;
  const work = await tempDir(t);
  const server = await startBundleServer(t);
  const destination = `{ type: http, url: "${ingest}" }`;

  const bundleFile = await writePolicy(
    work,
    `apiVersion: telem/v1
kind: Policy
metadata: { name: fleet-e2e, revision: 3 }
consent: { require_opt_in: false }
fleet: { status_interval: 1h }
destinations: { central: ${destination} }
routes: [{ name: all, to: [central] }]
`,
    'bundle.policy.yaml',
  );
  const checked = await checkPolicyFile({ file: bundleFile });
  assert.ok(checked.policy, JSON.stringify(checked.diagnostics));
  const bytes = buildBundle({ policy: checked.policy, sources: new Map(), keys: [parsePrivateKey(pair.privatePem, 'k')], channel: 'stable', sequence: 3, expiresMs: 86_400_000 });
  await writeFile(path.join(work, 'b.bundle'), bytes);
  await server.publish(path.join(work, 'b.bundle'));

  const local = (fleet: string) => `apiVersion: telem/v1
kind: Policy
metadata: { name: local }
consent: { require_opt_in: false }
fleet: { ${fleet} }
destinations: { central: ${destination} }
routes: [{ name: all, to: [central] }]
`;
  const onBundle = await tempDir(t);
  await startAgent(t, { root: onBundle, policy: await writePolicy(onBundle, local(`source: "${server.url}", channel: stable, trusted_keys: ["${pair.publicKey}"], poll_interval: 200ms`)) });
  const fleet = await waitForFleet(collector.url, (answer) => answer.machines.some((machine) => machine.active === 3 && machine.state === 'healthy'), 'the agent healthy on bundle 3');
  assert.deepEqual(fleet.channels.find((channel) => channel.channel === 'stable')?.sequences.find((group) => group.sequence === 3)?.states, { healthy: 1 });

  const text = await runCli(['fleet', 'status', '--collector', collector.url]);
  assert.match(text.stdout, /^ {2}stable sequence 3: 1 machine \(healthy 1\)$/m);

  // An agent with no fleet source runs its local policy and says so.
  const alone = await tempDir(t);
  await startAgent(t, { root: alone, policy: await writePolicy(alone, local('status_interval: 200ms')) });
  const both = await waitForFleet(collector.url, (answer) => answer.machines.some((machine) => machine.active === null), 'the agent on its local policy');
  assert.equal(both.total_machines, 2);
});
