/**
 * The policy the agent applies, as it applies it: the resolved form, with its source, name,
 * revision and a hash, written to a state file under the root at start and at every reload that
 * takes. `telem plan --running` diffs against it and `telem status` shows its hash, so both say
 * what the agent really runs, not what a file on disk says now.
 */
import fs from 'node:fs';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { policyHash } from '../hash/policy-hash.js';
import { underRoot } from '../paths/root.js';
import { writeFileAtomic } from '../paths/write-atomic.js';

export const APPLIED_POLICY_FILE = '/run/telem/agent-policy.json';

export interface AppliedPolicy {
  readonly source: string | null;
  readonly name: string;
  readonly revision: number;
  /** sha256 of the canonical JSON of the resolved policy without its source: equal for equal settings, wherever they came from. */
  readonly sha256: string;
  readonly appliedAt: string;
  readonly policy: ResolvedPolicy;
}

export function appliedPolicyPath(root: string): string {
  return underRoot(root, APPLIED_POLICY_FILE);
}

export { policyHash };

/** Written atomically (a reader sees the old policy or the new one, never half of one). */
export function writeAppliedPolicy(root: string, policy: ResolvedPolicy, now = new Date()): AppliedPolicy {
  const applied: AppliedPolicy = { source: policy.source, name: policy.metadata.name, revision: policy.metadata.revision, sha256: policyHash(policy), appliedAt: now.toISOString(), policy };
  const file = appliedPolicyPath(root);
  // Under /run, rewritten at every start: no fsync.
  writeFileAtomic(file, `${JSON.stringify(applied, null, 2)}\n`, { sync: false });
  return applied;
}

/** What the agent under `root` last applied, or null when none did (or the file cannot be read). */
export function readAppliedPolicy(root: string): AppliedPolicy | null {
  try {
    return JSON.parse(fs.readFileSync(appliedPolicyPath(root), 'utf8')) as AppliedPolicy;
  } catch {
    return null;
  }
}
