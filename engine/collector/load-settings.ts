/** The collector's settings as `telem collector` starts with them: a policy's "collector" section (or the defaults), then overrides. */
import { TelemError } from '../errors/telem-error.js';
import { checkPolicyFile } from '../load/check-file.js';
import { type CollectorSettings, defaultCollectorSettings } from './config/settings.js';

export interface CollectorSettingsOptions {
  /** A policy file, used as given; the defaults without it. */
  readonly policy?: string | undefined;
  readonly listen?: string | undefined;
  readonly listenApi?: string | undefined;
  readonly database?: string | undefined;
}

/** A policy with errors, or one that cannot be read, is a TelemError carrying its diagnostics. */
export async function loadCollectorSettings(options: CollectorSettingsOptions): Promise<CollectorSettings> {
  let settings = defaultCollectorSettings();
  if (options.policy !== undefined) {
    const checked = await checkPolicyFile({ file: options.policy });
    if (!checked.policy) {
      throw new TelemError(checked.unreadable ? 'policy-unreadable' : 'policy-invalid', `the policy ${options.policy} cannot be used`, { diagnostics: checked.diagnostics });
    }
    settings = checked.policy.collector;
  }
  return {
    ...settings,
    ...(options.listen === undefined ? {} : { listen: options.listen }),
    ...(options.listenApi === undefined ? {} : { listen_api: options.listenApi }),
    ...(options.database === undefined ? {} : { database: options.database }),
  };
}
