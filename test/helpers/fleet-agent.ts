/** Signed bundles made in-process (as `telem bundle build` makes them), machines with planted cohort seeds, and waiting on a real agent's status file, for the fleet tests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash, type KeyObject } from 'node:crypto';
import type { TestContext } from 'node:test';
import { statusFilePath, type RuntimeStatus } from '../../engine/agent/status-file.js';
import { buildBundle } from '../../engine/fleet/bundle.js';
import { cohortBucket } from '../../engine/fleet/cohort.js';
import { type ManifestRollout, parseRolloutFile, resolveRollout } from '../../engine/fleet/rollout.js';
import { COHORT_SEED_FILE } from '../../engine/fleet-agent/cohort-seed.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { type AgentProcess, startAgent, writePolicy } from './agent-process.js';
import { tempDir } from './tmp.js';

/** A signed bundle file `dir/NAME.bundle` of the policy `yaml`. */
export async function makeBundle(dir: string, name: string, yaml: string, sequence: number, options: { key: KeyObject; channel?: string; rollout?: ManifestRollout }): Promise<string> {
  const policyFile = await writePolicy(dir, yaml, `${name}.policy.yaml`);
  const checked = await checkPolicyFile({ file: policyFile });
  assert.ok(checked.policy, JSON.stringify(checked.diagnostics));
  const bytes = buildBundle({
    policy: checked.policy,
    sources: new Map(),
    keys: [options.key],
    channel: options.channel ?? 'stable',
    sequence,
    expiresMs: 86_400_000,
    ...(options.rollout === undefined ? {} : { rollout: options.rollout }),
  });
  const file = path.join(dir, `${name}.bundle`);
  await writeFile(file, bytes);
  return file;
}

export function readStatus(root: string): RuntimeStatus | null {
  try {
    return JSON.parse(readFileSync(statusFilePath(root), 'utf8')) as RuntimeStatus;
  } catch {
    return null;
  }
}

/** Waits (bounded) until the agent's status file satisfies the predicate; returns that status. */
export async function waitForStatus(root: string, predicate: (status: RuntimeStatus) => boolean, what: string, timeoutMs = 10_000): Promise<RuntimeStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: RuntimeStatus | null = null;
  while (Date.now() < deadline) {
    last = readStatus(root);
    if (last !== null && predicate(last)) return last;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms; last status: ${JSON.stringify(last?.fleet ?? last)}`);
}

/** Seeds whose buckets for `id` fall in each [from, to) range, `count` of each: fixed, so every run plants the same fleet. */
export function plantedSeeds(id: string, ranges: readonly { from: number; to: number; count: number }[]): { seed: string; bucket: number }[][] {
  const groups = ranges.map(() => [] as { seed: string; bucket: number }[]);
  for (let index = 0; groups.some((group, at) => group.length < (ranges[at] as { count: number }).count); index += 1) {
    assert.ok(index < 100_000, 'seeds for every range');
    const seed = createHash('sha256').update(`planted ${index}`).digest('hex').slice(0, 32);
    const bucket = cohortBucket(seed, id);
    const at = ranges.findIndex((range, position) => bucket >= range.from && bucket < range.to && (groups[position] as unknown[]).length < range.count);
    if (at >= 0) groups[at]?.push({ seed, bucket });
  }
  return groups;
}

export interface Machine {
  readonly root: string;
  readonly bucket: number;
  agent: AgentProcess;
}

export async function startMachines(t: TestContext, seeds: readonly { seed: string; bucket: number }[], policy: string): Promise<Machine[]> {
  const machines = await Promise.all(
    seeds.map(async ({ seed, bucket }) => {
      const root = await tempDir(t);
      const file = path.join(root, COHORT_SEED_FILE);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `${seed}\n`, { mode: 0o600 });
      return { root, bucket, policy: await writePolicy(root, policy) };
    }),
  );
  // A few at a time: twenty node processes starting at once on two cores take longer than one by one.
  const started: Machine[] = [];
  for (let index = 0; index < machines.length; index += 4) {
    const batch = machines.slice(index, index + 4);
    started.push(...(await Promise.all(batch.map(async ({ root, bucket, policy: file }) => ({ root, bucket, agent: await startAgent(t, { root, policy: file }) })))));
  }
  return started;
}

export const rolloutOf = (status: RuntimeStatus | null) => status?.fleet?.rollout ?? null;
export const tookIt = (machine: Machine) => machine.agent.logs.some((line) => line.msg === 'took the staged rollout bundle; baking');

/** A rollout file's value resolved into the manifest's rollout, starting now. */
export function testRollout(id: string, steps: { percent: number; bake: string; max_failure_rate?: number }[], gates: Record<string, unknown> = {}): ManifestRollout {
  const file = parseRolloutFile({ id, steps, gates });
  assert.ok(typeof file !== 'string', file as string);
  return resolveRollout(file, new Date());
}
