/** What the dry-run and bundle commands share: a failure already worded for the user, and loading the policy they were named. */
import type { ResolvedPolicy } from '../schemas/resolved.js';
import { formatText } from '../engine/diagnostics/format-text.js';
import { checkPolicyFile } from '../engine/load/check-file.js';
import { EXIT_INVALID, EXIT_USAGE } from './exit-codes.js';

/** A failure already worded for the user (printed as "<command>: <message>"), with its exit status. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface LoadedPolicy {
  readonly policy: ResolvedPolicy;
  /** The file that was read. */
  readonly file: string;
}

/**
 * A policy file (or telemetrics.conf), validated and resolved. One that cannot be read is a
 * one-line failure (exit 2); one with errors prints its diagnostics and fails with
 * "<file> has errors<consequence>" (exit 1); warnings are printed when `warnings` is set.
 */
export async function loadPolicyOrFail(file: string, options: { consequence?: string; warnings?: boolean } = {}): Promise<LoadedPolicy> {
  const checked = await checkPolicyFile({ file });
  if (checked.policy) {
    if (options.warnings && checked.diagnostics.length > 0) process.stderr.write(formatText(checked.diagnostics));
    return { policy: checked.policy, file: checked.file ?? file };
  }
  if (checked.unreadable) throw new CommandFailure(checked.diagnostics.map((d) => `${d.file ?? file}: ${d.message}`).join('; '), EXIT_USAGE);
  process.stderr.write(formatText(checked.diagnostics));
  throw new CommandFailure(`${file} has errors${options.consequence ?? ''}`, EXIT_INVALID);
}
