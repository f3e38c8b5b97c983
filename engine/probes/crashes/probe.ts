/**
 * The crash probe. Nothing of it runs inside the agent: the kernel starts `telem crash-report`
 * for each crash (handler.ts) once `telem crash-report --install` made it the core_pattern
 * handler. `once` reports a saved core file (`telem probe crashes --input core`) as the handler
 * would have: the program's path, pid and signal come from the core's own notes.
 */
import { TelemError } from '../../errors/telem-error.js';
import type { ProbeDefinition, ProbeEvent, RunningProbe } from '../probe.js';
import { CRASH_CLASSIFICATIONS } from './classifications.js';
import { readCoreNotes } from './core-notes.js';
import { filteredEvent, unwoundEvent } from './report.js';

const NOTHING_RUNNING: RunningProbe = { stop: async () => undefined };

export const crashesProbe: ProbeDefinition<'crashes'> = {
  name: 'crashes',
  summary: 'crashed processes, from the kernel through telem crash-report (kernel.core_pattern): backtraces as upstream crashprobe sent them',
  classifications(settings) {
    const { clr, clrBuild, unknown, error } = CRASH_CLASSIFICATIONS;
    // No prefix takes a full report: every crash is a third party's (or a package build's).
    if (settings.full_reports.paths.length === 0) return [clrBuild.classification, unknown.classification];
    return [clr.classification, clrBuild.classification, unknown.classification, error.classification];
  },
  start() {
    return NOTHING_RUNNING;
  },
  async once(settings, options): Promise<readonly ProbeEvent[]> {
    // There is no live source to look at: crashes arrive one by one from the kernel.
    if (options.input === undefined) return [];
    const notes = await readCoreNotes(options.input);
    if (notes.executable === null) throw new TelemError('core-invalid', `${options.input} does not say which program it is from (it has no NT_FILE note)`);
    const filtered = filteredEvent(notes.executable, settings);
    if (filtered) return [filtered];
    const { event } = await unwoundEvent({
      core: options.input,
      executable: notes.executable,
      pid: notes.pid,
      signal: notes.signal,
      settings,
      deadline: Date.now() + settings.timeout,
      env: process.env,
    });
    return [event];
  },
};
