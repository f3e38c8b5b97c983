/**
 * `telem convert --to-conf`: a resolved policy → telemetrics.conf text, with a diagnostic naming
 * every setting the file cannot express (an error where the file would send what the policy
 * keeps back, unless forced).
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { type Diagnostic, type KeyPath, formatKeyPath } from '../diagnostics/diagnostic.js';
import { validatePolicyValue } from '../validate/validate.js';
import { inexpressible } from './expressible.js';
import { policyToSettings } from './from-policy.js';
import { HTTP_DESTINATION, LEGACY_KEYS, type LegacyKey, type LegacySettings } from './keys.js';
import { settingsToPolicy } from './to-policy.js';
import { formatConf } from './write-conf.js';

export interface ConfConversion {
  readonly text: string;
  readonly settings: LegacySettings;
  /** Paths are the policy's own, so a policy source can place them. */
  readonly diagnostics: readonly Diagnostic[];
}

const SERVER_KEYS: ReadonlySet<LegacyKey> = new Set(['server', 'tidheader', 'cainfo']);

export interface PolicyToConfOptions {
  /** Where the policy came from, for the file's header comment. */
  readonly source?: string | null;
  /** Write the file even when it would send what the policy keeps back (those losses become warnings). */
  readonly force?: boolean;
}

export function policyToConf(policy: ResolvedPolicy, options: PolicyToConfOptions = {}): ConfConversion {
  const choice = policyToSettings(policy);
  const names = {
    ...(choice.destinationName === undefined ? {} : { destinationName: choice.destinationName }),
    ...(choice.routeName === undefined ? {} : { routeName: choice.routeName }),
  };
  const back = validatePolicyValue(settingsToPolicy(choice.settings, names));
  const lost = back.policy ? inexpressible(policy, back.policy, { force: options.force ?? false }) : back.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');

  const pathOf = (key: LegacyKey): KeyPath =>
    (LEGACY_KEYS[key].policy[0] ?? []).map((segment) => (segment === HTTP_DESTINATION && choice.destinationName ? choice.destinationName : segment));
  const header = [
    `telemetrics.conf written by telem convert --to-conf from ${options.source ?? 'a policy'}.`,
    "Every key is set: keys left out would take upstream's compiled defaults, not another file's.",
    ...(lost.length > 0 ? ['', 'Not expressible in this file (telem convert listed each):', ...lost.map((diagnostic) => `  ${formatKeyPath(diagnostic.path)}`)] : []),
  ];
  const conf = formatConf(choice.settings, {
    header,
    pathOf,
    ...(choice.settings.record_server_delivery_enabled ? {} : { omit: SERVER_KEYS }),
  });
  return { text: conf.text, settings: choice.settings, diagnostics: [...choice.diagnostics, ...lost, ...conf.diagnostics] };
}
