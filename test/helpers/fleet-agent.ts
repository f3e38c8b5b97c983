/** Signed bundles made in-process (as `telem bundle build` makes them) and waiting on a real agent's status file, for the fleet tests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyObject } from 'node:crypto';
import { statusFilePath, type RuntimeStatus } from '../../engine/agent/status-file.js';
import { buildBundle } from '../../engine/fleet/bundle.js';
import type { ManifestRollout } from '../../engine/fleet/rollout.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { writePolicy } from './agent-process.js';

/** A signed bundle file `dir/NAME.bundle` of the policy `yaml`. */
export async function makeBundle(
  dir: string,
  name: string,
  yaml: string,
  sequence: number,
  options: { key: KeyObject; channel?: string; rollout?: ManifestRollout },
): Promise<string> {
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
