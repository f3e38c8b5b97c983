import type { PolicyInput } from '../schemas/policy.js';

/**
 * Identity function that gives a policy written in TypeScript full type checking and editor
 * completion: `export default definePolicy({ apiVersion: 'telem/v1', kind: 'Policy', … })`.
 * Validation still happens when the policy is loaded.
 */
export function definePolicy(policy: PolicyInput): PolicyInput {
  return policy;
}
