/**
 * What a probe needs from the machine's policy: where the agent's socket is and whether opt-in
 * is required. Like libtelemetry reading socket_path from telemetrics.conf, a probe reads the
 * policy the agent runs: the file named with -f, else what `telem run` would load under the root
 * (/etc/telemetrics/telem.policy.*, then telemetrics.conf), else the schema defaults.
 */
import { consentSchema } from '../../schemas/consent.js';
import { intakeSchema } from '../../schemas/intake.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { underRoot } from '../paths/root.js';

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

async function usablePolicy(file: string): Promise<{ policy: ResolvedPolicy | null; diagnostics: readonly Diagnostic[] }> {
  // Loaded on demand: most probes run on machines with no policy file, and start faster without the loader.
  const { checkPolicyFile } = await import('../load/check-file.js');
  const checked = await checkPolicyFile({ file });
  return { policy: checked.policy, diagnostics: checked.diagnostics };
}

/** The policy the agent on this machine runs (the same search as `telem run`), when there is a file. */
async function machinePolicy(root: string): Promise<{ file: string | null; policy: ResolvedPolicy | null; diagnostics: readonly Diagnostic[] }> {
  const { loadAgentPolicy } = await import('../load/agent-policy.js');
  const found = await loadAgentPolicy({ root });
  if (found.origin === 'compiled-defaults') return { file: null, policy: null, diagnostics: [] };
  return { file: found.watchPath, policy: found.policy, diagnostics: found.diagnostics };
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
    const found = await machinePolicy(options.root);
    policy = found.policy;
    if (policy) policyFile = found.file;
    else diagnostics = found.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
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
