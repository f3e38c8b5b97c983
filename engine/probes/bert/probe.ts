/**
 * The BERT probe: errors the firmware recorded in the ACPI Boot Error Record Table for the
 * previous boot, one record per boot that has any (upstream sent the same text when its kernel
 * log probe saw Linux print the region; telem reads the table itself, so no kernel log line is
 * needed). Classification and severity come from the settings.
 */
import { readFile } from 'node:fs/promises';
import { TelemError } from '../../errors/telem-error.js';
import { readBootId } from '../../journal/boot-id.js';
import { underRoot } from '../../paths/root.js';
import type { ProbeContext, ProbeDefinition, ProbeEvent, ProbeSettings, RunningProbe } from '../probe.js';
import { bertPayload } from './bert-payload.js';
import { readReportedBoot, writeReportedBoot } from './boot-marker.js';
import { parseBootErrorRegion } from './error-status.js';

/** The event for the region's content, or undefined when it records no error. */
export function bertEvent(region: Buffer, settings: ProbeSettings['bert']): ProbeEvent | undefined {
  const parsed = parseBootErrorRegion(region);
  if (parsed.blocks.length === 0 && parsed.problem === undefined) return undefined;
  return { classification: settings.classification, severity: settings.severity, payload: bertPayload(parsed) };
}

/** The region's bytes, or undefined when the machine has no BERT table (the file is absent). */
async function readRegion(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TelemError('system', `cannot read the BERT data ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function reportOnce(settings: ProbeSettings['bert'], context: ProbeContext): Promise<void> {
  const bootId = await readBootId(context.root);
  if (readReportedBoot(context.stateDir) === bootId) return;
  const file = underRoot(context.root, settings.path);
  const region = await readRegion(file);
  const event = region === undefined ? undefined : bertEvent(region, settings);
  if (event !== undefined) {
    // Rejects only when the agent is stopping: the boot stays unreported and the next start tries again.
    await context.emit(event);
    context.logger.info({ file }, 'bert probe: reported the boot error records of the previous boot');
  }
  writeReportedBoot(context.stateDir, bootId);
}

export const bertProbe: ProbeDefinition<'bert'> = {
  name: 'bert',
  summary: 'Firmware-reported errors of the previous boot from the ACPI BERT table (/sys/firmware/acpi/tables/data/BERT), one record per boot that has them.',
  classifications: (settings) => [settings.classification],
  start(settings, context): RunningProbe {
    const done = reportOnce(settings, context).catch((error: unknown) => context.logger.warn({ err: error }, 'bert probe could not report the boot error records'));
    return { stop: () => done };
  },
  async once(settings, options): Promise<readonly ProbeEvent[]> {
    const file = options.input ?? underRoot(options.root, settings.path);
    const region = await readRegion(file);
    if (region === undefined && options.input !== undefined) throw new TelemError('system', `cannot read the BERT data ${file}: no such file`);
    const event = region === undefined ? undefined : bertEvent(region, settings);
    return event === undefined ? [] : [event];
  },
};
