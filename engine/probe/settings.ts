/**
 * What a probe needs from the machine's policy: where the agent's socket is and whether opt-in
 * is required. Like libtelemetry reading socket_path from telemetrics.conf, a probe reads the
 * policy the agent runs: the file named with -f, else /etc/telemetrics/telem.policy.* under the
 * root, else the schema defaults (/run/telem-0, opt-in required).
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { consentSchema } from '../../schemas/consent.js';
import { intakeSchema } from '../../schemas/intake.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { POLICY_FILE_NAMES } from '../load/search-places.js';
import { underRoot } from '../paths/root.js';

export const POLICY_DIR = '/etc/telemetrics';

export interface ProbeSettingsOptions {
  readonly root: string;
  /** A socket path used as given (not re-rooted). */
  readonly socketPath?: string;
  /** A config file the probe named (-f); used instead of the machine's policy when it is a policy itself. */
  readonly configFile?: string;
}

export interface ProbeSettings {
  readonly socketPath: string;
  readonly requireOptIn: boolean;
  readonly rotateEveryMs: number;
  /** The policy the settings came from, or null for the defaults. */
  readonly policyFile: string | null;
  /** The errors of the machine's policy when it could not be used (the defaults apply then). */
  readonly diagnostics: readonly Diagnostic[];
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function findPolicy(root: string): Promise<string | null> {
  for (const name of POLICY_FILE_NAMES) {
    const candidate = path.join(underRoot(root, POLICY_DIR), name);
    if (await exists(candidate)) return candidate;
  }
  return null;
}

async function usablePolicy(file: string): Promise<{ policy: ResolvedPolicy | null; diagnostics: readonly Diagnostic[] }> {
  // Loaded on demand: most probes run on machines with no policy file, and start faster without the loader.
  const { checkPolicyFile } = await import('../validate/check-file.js');
  const checked = await checkPolicyFile({ file });
  return { policy: checked.policy, diagnostics: checked.diagnostics };
}

export async function loadProbeSettings(options: ProbeSettingsOptions): Promise<ProbeSettings> {
  let policyFile: string | null = null;
  let policy: ResolvedPolicy | null = null;
  let diagnostics: readonly Diagnostic[] = [];
  // A -f file is often a telemetrics.conf meant for the daemon: it is used only when it is a policy.
  if (options.configFile !== undefined) {
    policy = (await usablePolicy(options.configFile)).policy;
    if (policy) policyFile = options.configFile;
  }
  if (!policy) {
    const found = await findPolicy(options.root);
    if (found !== null) {
      const checked = await usablePolicy(found);
      policy = checked.policy;
      if (policy) policyFile = found;
      else diagnostics = checked.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
    }
  }
  const intake = policy?.intake ?? intakeSchema.parse(undefined);
  const consent = policy?.consent ?? consentSchema.parse(undefined);
  return {
    socketPath: options.socketPath ?? underRoot(options.root, intake.socket),
    requireOptIn: consent.require_opt_in,
    rotateEveryMs: consent.machine_id.rotate_every,
    policyFile,
    diagnostics,
  };
}
