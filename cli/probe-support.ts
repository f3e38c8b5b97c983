/** What the probe commands (record, hprobe) share: sending with the machine's settings, saying what went wrong. */
import { send } from '../engine/probe/send.js';
import type { ProbeRecord } from '../engine/probe/record.js';
import { loadProbeSettings } from '../engine/probe/settings.js';
import { RecordError } from '../engine/record/problem.js';

export type SendOutcome = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Sends with the settings of the machine's policy (socket, opt-in) and reports problems with
 * that policy on stderr; the defaults apply when it cannot be used.
 */
export async function sendFromCli(record: ProbeRecord, options: { root: string; socket?: string; program: string }): Promise<SendOutcome> {
  const settings = await loadProbeSettings({
    root: options.root,
    ...(options.socket === undefined ? {} : { socketPath: options.socket }),
    ...(record.configPath === null ? {} : { configFile: record.configPath }),
  });
  if (settings.diagnostics.length > 0) {
    const first = settings.diagnostics[0];
    process.stderr.write(
      `${options.program}: warning: the machine's policy cannot be used (${first?.file ?? 'policy'}: ${first?.message ?? 'invalid'}); sending to ${settings.socketPath}\n`,
    );
  }
  try {
    await send(record, { root: options.root, socketPath: settings.socketPath, requireOptIn: settings.requireOptIn });
    return { ok: true };
  } catch (error) {
    if (error instanceof RecordError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}
