/** What the probe commands (record, hprobe) share: the root, bounded reads, sending with messages. */
import type { Command } from 'commander';
import type { FileHandle } from 'node:fs/promises';
import { resolveRoot } from '../engine/paths/root.js';
import { send } from '../engine/probe/send.js';
import type { ProbeRecord } from '../engine/probe/record.js';
import { loadProbeSettings } from '../engine/probe/settings.js';
import { RecordError } from '../engine/record/problem.js';

/** The --root of the telem program (compat bins have none: TELEM_ROOT or /). */
export function rootOf(command: Command): string {
  return resolveRoot({ root: (command.optsWithGlobals() as { root?: string }).root });
}

export interface LimitedRead {
  /** At most limit + 1 bytes: enough to tell that the input is too large. */
  readonly bytes: Buffer;
  /** Every byte the source had, counted while draining it. */
  readonly total: number;
}

/** Reads a stream without keeping more than limit + 1 bytes, draining the rest so writers do not block. */
export async function readStreamLimited(stream: AsyncIterable<Buffer | string>, limit: number): Promise<LimitedRead> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (keptBytes <= limit) {
      const part = bytes.subarray(0, limit + 1 - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
  }
  return { bytes: Buffer.concat(kept), total };
}

export async function readFileLimited(handle: FileHandle, limit: number): Promise<LimitedRead> {
  return readStreamLimited(handle.createReadStream(), limit);
}

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
