/** Load and validate in one step: what `telem validate` and every command taking a policy do. */
import type { ValidationResult } from '../validate/validate.js';
import { validatePolicySource } from '../validate/validate.js';
import { loadPolicySource, type LoadOptions } from './load-policy.js';

export interface CheckedPolicy extends ValidationResult {
  /** The file that was read (as given or as found), or null when none was found. */
  readonly file: string | null;
  /** True when the problem is that no readable policy exists at all (a usage problem for CLIs). */
  readonly unreadable: boolean;
}

export async function checkPolicyFile(options: LoadOptions = {}): Promise<CheckedPolicy> {
  const loaded = await loadPolicySource(options);
  if (!loaded.source) {
    const unreadable = loaded.diagnostics.some((diagnostic) => diagnostic.code === 'file-unreadable' || diagnostic.code === 'policy-not-found');
    return { file: options.file ?? null, unreadable, policy: null, diagnostics: loaded.diagnostics };
  }
  return { file: loaded.source.file, unreadable: false, ...validatePolicySource(loaded.source) };
}
