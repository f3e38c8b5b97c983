/**
 * The agent fetches and applies signed bundles (issue 14 item 3), with real parts: a real HTTP file
 * server serving the bundle file (strong ETag, 304), real agents (`telem run`), `telem status`.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RuntimeStatus } from '../../engine/agent/status-file.js';
import { generateKeyPair, parsePrivateKey } from '../../engine/fleet/keys.js';
import { canonicalJson } from '../../engine/hash/canonical-json.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { startBundleServer } from '../helpers/bundle-server.js';
import { makeBundle as makeSignedBundle, readStatus, waitForStatus } from '../helpers/fleet-agent.js';
import { runCli } from '../helpers/cli.js';
import { sendRaw } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

const pair = generateKeyPair();
const signingKey = parsePrivateKey(pair.privatePem, 'test key');
const otherKey = parsePrivateKey(generateKeyPair().privatePem, 'other key');

function localPolicy(source: string, options: { optIn?: boolean; extraFleet?: string } = {}): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: local, revision: 1 }
consent: { require_opt_in: ${options.optIn ?? false} }
fleet:
  source: "${source}"
  channel: stable
  trusted_keys: ["${pair.publicKey}"]
  allowed_destinations: ["/var/log/telemetry"]
  poll_interval: 200ms
${options.extraFleet ?? ''}destinations: { out: { type: file, path: /var/log/telemetry/local.ndjson } }
routes: [{ name: all, to: [out] }]
`;
}

function bundlePolicy(sequence: number, options: { optIn?: boolean; destination?: string } = {}): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: fleet-x, revision: ${sequence} }
consent: { require_opt_in: ${options.optIn ?? false} }
destinations: { out: ${options.destination ?? `{ type: file, path: /var/log/telemetry/bundle-${sequence}.ndjson }`} }
routes: [{ name: all, to: [out] }]
`;
}

const makeBundle = (dir: string, name: string, yaml: string, sequence: number, options: { key?: typeof signingKey; channel?: string } = {}) =>
  makeSignedBundle(dir, name, yaml, sequence, { ...options, key: options.key ?? signingKey });

async function statusJson(root: string): Promise<{ fleet: NonNullable<RuntimeStatus['fleet']>; policy: { name: string; revision: number } }> {
  const result = await runCli(['--root', root, 'status', '--format', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { fleet: NonNullable<RuntimeStatus['fleet']>; policy: { name: string; revision: number } };
}

/** Sends one record and waits (bounded) until it is a line of `file` under the root. */
async function deliveredTo(socketPath: string, root: string, file: string, payload: string): Promise<void> {
  assert.equal(await sendRaw(socketPath, [testFrame({ payload })]), null);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const text = await readFile(path.join(root, file), 'utf8').catch(() => '');
    if (text.includes(payload)) return;
    await sleep(50);
  }
  throw new Error(`record "${payload}" did not reach ${file}`);
}

test('fleet: a newly published signed bundle is applied without a restart; 304s while nothing changes; tampered and unsigned bundles are refused and the policy kept', async (t) => {
  const root = await tempDir(t);
  const work = await tempDir(t);
  const server = await startBundleServer(t);
  await server.publish(await makeBundle(work, 'b1', bundlePolicy(1), 1));
  const agent = await startAgent(t, { root, policy: await writePolicy(root, localPolicy(server.url)) });

  await waitForStatus(root, (s) => s.fleet?.active?.sequence === 1 && s.fleet.state === 'healthy', 'bundle 1 applied and healthy');
  await server.waitFor((entry) => entry.status === 304 && entry.ifNoneMatch !== null);
  const firstPoll = server.log[0];
  assert.equal(firstPoll?.status, 200);
  assert.equal(firstPoll.ifNoneMatch, null, 'the first poll has no ETag to send');
  await deliveredTo(agent.socketPath, root, 'var/log/telemetry/bundle-1.ndjson', 'under bundle one');

  // Nothing changes for a while: only 304s, spaced by the jitter (200 ms to 400 ms).
  const mark = server.log.length;
  await sleep(1500);
  const quiet = server.log.slice(mark);
  assert.ok(quiet.length >= 2 && quiet.length <= 9, `polls in 1.5 s at 200-400 ms each: ${quiet.length}`);
  assert.ok(
    quiet.every((entry) => entry.status === 304),
    JSON.stringify(quiet),
  );

  await server.publish(await makeBundle(work, 'b2', bundlePolicy(2), 2));
  const applied = await waitForStatus(root, (s) => s.fleet?.active?.sequence === 2 && s.fleet.state === 'healthy', 'bundle 2 applied and healthy');
  assert.equal(applied.fleet?.previous?.sequence, 1);
  assert.equal(applied.pid, agent.child.pid, 'the same process, never restarted');
  const shown = await statusJson(root);
  assert.equal(shown.fleet.active?.sequence, 2);
  assert.equal(shown.fleet.state, 'healthy');
  assert.equal(shown.policy.name, 'fleet-x');
  assert.equal(shown.policy.revision, 2);
  assert.ok(shown.fleet.lastActivationAt !== null && shown.fleet.lastDownloadAt !== null && shown.fleet.lastPollAt !== null);
  await deliveredTo(agent.socketPath, root, 'var/log/telemetry/bundle-2.ndjson', 'under bundle two');

  // A tampered bundle: one byte of the signed bundle 3 changed.
  const good3 = await readFile(await makeBundle(work, 'b3', bundlePolicy(3), 3));
  const tampered = Buffer.from(good3);
  const at = tampered.indexOf('"sequence":3');
  tampered.write('4', at + '"sequence":'.length);
  await writeFile(path.join(work, 'tampered.bundle'), tampered);
  await server.publish(path.join(work, 'tampered.bundle'));
  const refused = await waitForStatus(root, (s) => s.fleet?.state === 'failed', 'the tampered bundle refused');
  assert.equal(refused.fleet?.active?.sequence, 2, 'bundle 2 keeps running');
  assert.match(refused.fleet?.lastFailed?.reason ?? '', /^bundle-(signature|tampered): /);
  assert.equal(readStatus(root)?.policy.revision, 2);

  // An unsigned bundle: the signed one with its signatures taken off.
  const unsigned = JSON.parse(good3.toString('utf8')) as { signatures: unknown[] };
  unsigned.signatures = [];
  await writeFile(path.join(work, 'unsigned.bundle'), `${canonicalJson(unsigned)}\n`);
  await server.publish(path.join(work, 'unsigned.bundle'));
  const unsignedRefused = await waitForStatus(root, (s) => s.fleet?.lastFailed?.reason.startsWith('bundle-unknown-key') === true, 'the unsigned bundle refused');
  assert.equal(unsignedRefused.fleet?.state, 'failed');
  assert.equal(unsignedRefused.fleet?.active?.sequence, 2);
  assert.match(unsignedRefused.fleet?.lastFailed?.reason ?? '', /no signatures/);

  // Signed by a key the machine does not trust.
  await server.publish(await makeBundle(work, 'other', bundlePolicy(3), 3, { key: otherKey }));
  await waitForStatus(root, (s) => /not trusted/.test(s.fleet?.lastFailed?.reason ?? ''), 'the bundle by an untrusted key refused');
  await deliveredTo(agent.socketPath, root, 'var/log/telemetry/bundle-2.ndjson', 'still bundle two');
  const text = await runCli(['--root', root, 'status']);
  assert.match(text.stdout, /^fleet: +channel stable from http:\/\/127\.0\.0\.1:\d+\/fleet\/stable\.bundle; active 2, previous 1, source offers 3; state failed$/m);
  assert.match(text.stdout, /^fleet failed: bundle 3 at \S+: bundle-unknown-key: /m);
  assert.match(text.stdout, /^fleet poll: last poll \S+, last download \S+, last activation \S+/m);

  // A lower sequence (a replayed old bundle) is refused too; rolling back means a new, higher sequence.
  await server.publish(await makeBundle(work, 'old', bundlePolicy(1), 1));
  await waitForStatus(root, (s) => s.fleet?.lastFailed?.reason.startsWith('bundle-sequence') === true, 'the replayed bundle refused');
  await server.publish(await makeBundle(work, 'b4', bundlePolicy(1).replace('revision: 1', 'revision: 4'), 4));
  await waitForStatus(root, (s) => s.fleet?.active?.sequence === 4 && s.fleet.state === 'healthy', 'the rollback bundle 4 applied');
  await deliveredTo(agent.socketPath, root, 'var/log/telemetry/bundle-1.ndjson', 'rolled back by bundle four');
});

test('fleet: a bundle that lifts opt-in or adds a destination outside fleet.allowed_destinations is refused, and telem status names the field; a wider local floor lets it in', async (t) => {
  const root = await tempDir(t);
  const work = await tempDir(t);
  const server = await startBundleServer(t);
  await server.publish(await makeBundle(work, 'lift', bundlePolicy(1, { optIn: false }), 1));
  const policyFile = await writePolicy(root, localPolicy(server.url, { optIn: true }));
  await startAgent(t, { root, policy: policyFile });
  const refused = await waitForStatus(root, (s) => s.fleet?.state === 'failed', 'the opt-in lifting bundle refused');
  assert.equal(refused.fleet?.active, null);
  assert.deepEqual(refused.fleet?.lastError?.fields, ['consent.require_opt_in']);
  assert.equal(refused.policy.name, 'local', 'the local policy keeps running');
  let text = await runCli(['--root', root, 'status']);
  assert.match(text.stdout, /^fleet error: \S+ bundle-floor \(field consent\.require_opt_in\): /m);

  await server.publish(await makeBundle(work, 'evil', bundlePolicy(2, { optIn: true, destination: '{ type: http, url: "https://evil.example/v3/collector" }' }), 2));
  await waitForStatus(root, (s) => s.fleet?.lastFailed?.sequence === 2, 'the bundle with an outside destination refused');
  text = await runCli(['--root', root, 'status']);
  assert.match(text.stdout, /^fleet error: \S+ bundle-floor \(field destinations\.out\.url\): .*evil\.example/m);
  const json = await statusJson(root);
  assert.equal(json.fleet.state, 'failed');
  assert.deepEqual(json.fleet.lastError?.fields, ['destinations.out.url']);
  assert.equal(json.policy.name, 'local');

  // The local policy widens its floor: the bundle refused before is checked again, and applied.
  await writeFile(
    policyFile,
    localPolicy(server.url, { optIn: true }).replace('allowed_destinations: ["/var/log/telemetry"]', 'allowed_destinations: ["/var/log/telemetry", "https://evil.example/v3/"]'),
  );
  const applied = await waitForStatus(root, (s) => s.fleet?.active?.sequence === 2, 'the bundle allowed by the new local floor');
  assert.equal(applied.policy.name, 'fleet-x');
});

test('fleet: after a restart with the source down, the agent runs the persisted active bundle', async (t) => {
  const root = await tempDir(t);
  const work = await tempDir(t);
  const server = await startBundleServer(t);
  await server.publish(await makeBundle(work, 'b7', bundlePolicy(7), 7));
  const policyFile = await writePolicy(root, localPolicy(server.url));
  const first = await startAgent(t, { root, policy: policyFile });
  await waitForStatus(root, (s) => s.fleet?.active?.sequence === 7 && s.fleet.state === 'healthy', 'bundle 7 applied');
  assert.equal(await first.stop(), 0);
  await server.close();

  const second = await startAgent(t, { root, policy: policyFile });
  await second.waitForLog((line) => line.msg === 'starting from the active fleet bundle' && line.sequence === 7);
  const running = await waitForStatus(root, (s) => s.pid === second.child.pid && s.fleet?.lastError?.code === 'bundle-fetch', 'a failed poll of the source that is down');
  assert.equal(running.fleet?.active?.sequence, 7);
  assert.equal(running.policy.name, 'fleet-x');
  await deliveredTo(second.socketPath, root, 'var/log/telemetry/bundle-7.ndjson', 'after the restart');
  const shown = await statusJson(root);
  assert.equal(shown.fleet.active?.sequence, 7);
  assert.equal(shown.fleet.lastError?.code, 'bundle-fetch');
});

test('fleet: a local path source; a local change re-applies the active bundle on the new floor, or rolls it back when the floor refuses it', async (t) => {
  const root = await tempDir(t);
  const work = await tempDir(t);
  const source = path.join(work, 'channel.bundle');
  await writeFile(source, await readFile(await makeBundle(work, 'b1', bundlePolicy(1), 1)));
  const policyFile = await writePolicy(root, localPolicy(source));
  const agent = await startAgent(t, { root, policy: policyFile });
  await waitForStatus(root, (s) => s.fleet?.active?.sequence === 1 && s.fleet.state === 'healthy', 'bundle 1 from the local path');
  await writeFile(source, await readFile(await makeBundle(work, 'b2', bundlePolicy(2), 2)));
  await waitForStatus(root, (s) => s.fleet?.active?.sequence === 2 && s.fleet.state === 'healthy', 'bundle 2 from the local path');
  await deliveredTo(agent.socketPath, root, 'var/log/telemetry/bundle-2.ndjson', 'from the path source');

  // The local policy now allows only another directory: bundle 2 crosses the new floor.
  await writeFile(policyFile, localPolicy(source).replace('allowed_destinations: ["/var/log/telemetry"]', 'allowed_destinations: ["/var/log/elsewhere"]'));
  const rolledBack = await waitForStatus(root, (s) => s.fleet?.state === 'rolled_back', 'bundle 2 rolled back by the new floor');
  assert.equal(rolledBack.fleet?.active, null);
  assert.equal(rolledBack.fleet?.lastFailed?.sequence, 2);
  assert.match(rolledBack.fleet?.lastFailed?.reason ?? '', /^bundle-floor: .*destinations\.out\.path/);
  assert.equal(rolledBack.policy.name, 'local');
  await rm(source);
});
