/**
 * Which policy the agent runs: an explicit path (used as given, never re-rooted); else, under
 * the root, /etc/telemetrics/telem.policy.{yaml,yml,json,js,mjs,ts}; else upstream's
 * telemetrics.conf search (/etc, then /usr/share/defaults); else upstream's compiled defaults.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { translationSource } from '../legacy/conf-source.js';
import { loadTelemetricsConf } from '../legacy/search.js';
import { underRoot } from '../paths/root.js';
import { validatePolicySource } from '../validate/validate.js';
import { type CheckedPolicy, checkPolicyFile } from './check-file.js';
import { POLICY_FILE_NAMES } from './search-places.js';

export const AGENT_POLICY_DIR = '/etc/telemetrics';

export type PolicyOrigin = 'explicit' | 'etc-policy' | 'etc-conf' | 'share-conf' | 'compiled-defaults';

export interface AgentPolicy extends CheckedPolicy {
  readonly origin: PolicyOrigin;
  /** The file to watch for changes, or null when running on compiled defaults. */
  readonly watchPath: string | null;
}

export async function loadAgentPolicy(options: { policy?: string | undefined; root: string; cwd?: string }): Promise<AgentPolicy> {
  const cwd = options.cwd ?? process.cwd();
  if (options.policy !== undefined) {
    const checked = await checkPolicyFile({ file: options.policy, cwd });
    return { ...checked, origin: 'explicit', watchPath: path.resolve(cwd, options.policy) };
  }
  const policyDir = underRoot(options.root, AGENT_POLICY_DIR);
  for (const name of POLICY_FILE_NAMES) {
    const file = path.join(policyDir, name);
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    ) {
      return { ...(await checkPolicyFile({ file, cwd })), origin: 'etc-policy', watchPath: file };
    }
  }
  const conf = await loadTelemetricsConf({ root: options.root, cwd });
  const origin: PolicyOrigin = conf.found.origin === 'etc' ? 'etc-conf' : conf.found.origin === 'share' ? 'share-conf' : 'compiled-defaults';
  if (!conf.translation) return { file: conf.found.file, unreadable: true, policy: null, diagnostics: conf.diagnostics, origin, watchPath: null };
  const source = translationSource(conf.translation);
  return { file: conf.found.file, unreadable: false, ...validatePolicySource(source), origin, watchPath: conf.found.file === null ? null : path.resolve(cwd, conf.found.file) };
}
