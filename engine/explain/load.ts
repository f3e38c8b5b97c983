/**
 * The policy `telem explain` and `telem report` work from, found as `telem run` and
 * `telem journal` find it (--policy FILE, else the agent's search under the root), with the
 * positions of its rules.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { TelemError } from '../errors/telem-error.js';
import { loadAgentPolicy } from '../load/agent-policy.js';
import { loadPolicyPlaces, type PolicyPlaces } from './policy-places.js';

export interface PolicyInHand {
  readonly policy: ResolvedPolicy;
  readonly places: PolicyPlaces;
}

/** Throws policy-unreadable (one line) or policy-invalid (with the diagnostics). */
export async function loadPolicyInHand(options: { readonly policy?: string | undefined; readonly root: string }): Promise<PolicyInHand> {
  const checked = await loadAgentPolicy(options);
  if (checked.policy) return { policy: checked.policy, places: await loadPolicyPlaces(checked.origin === 'compiled-defaults' ? null : checked.file) };
  if (checked.unreadable) throw new TelemError('policy-unreadable', checked.diagnostics.map((d) => `${d.file ? `${d.file}: ` : ''}${d.message}`).join('; '));
  throw new TelemError('policy-invalid', `${checked.file ?? 'the policy'} has errors`, { diagnostics: checked.diagnostics });
}
