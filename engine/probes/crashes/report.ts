/**
 * A crash as the event upstream's crashprobe sent: the privacy filter first (a filtered crash's
 * core is never unwound), then the backtrace — crash/clr when it is whole, crash/error with the
 * reason and whatever was unwound when it is not.
 */
import type { ProbeEvent, ProbeSettings } from '../probe.js';
import type { Backtrace } from './backtrace.js';
import { CLR_BUILD_PAYLOAD, CRASH_CLASSIFICATIONS, THIRD_PARTY_PAYLOAD } from './classifications.js';
import { readCoreNotes } from './core-notes.js';
import { crashPayload } from './payload.js';
import { filterCrash } from './privacy-filter.js';
import { unwindCore } from './unwind.js';

export type CrashSettings = ProbeSettings['crashes'];

/** The event for a crash the privacy filter keeps from being unwound, or null when its backtrace may be sent. */
export function filteredEvent(executable: string, settings: CrashSettings): ProbeEvent | null {
  const filter = filterCrash(executable, settings.full_reports);
  if (filter === 'clr-build') return { ...CRASH_CLASSIFICATIONS.clrBuild, payload: CLR_BUILD_PAYLOAD, payloadVersion: 1 };
  if (filter === 'third-party') return { ...CRASH_CLASSIFICATIONS.unknown, payload: THIRD_PARTY_PAYLOAD, payloadVersion: 1 };
  return null;
}

export interface UnwoundCrash {
  readonly event: ProbeEvent;
  readonly backtrace: Backtrace;
}

export interface UnwindCrashOptions {
  readonly core: string;
  /** The program's path, as the payload names it. */
  readonly executable: string;
  /** Used when the core does not say (upstream's PID is the core's). */
  readonly pid: number | null;
  readonly signal: number | null;
  readonly settings: CrashSettings;
  /** Epoch ms by which the unwinder must be done. */
  readonly deadline: number;
  readonly env: NodeJS.ProcessEnv;
}

export async function unwoundEvent(options: UnwindCrashOptions): Promise<UnwoundCrash> {
  // A core whose notes cannot be read may still be unwound by the tools; they say what is wrong with it.
  const notes = await readCoreNotes(options.core).catch(() => null);
  const backtrace = await unwindCore({
    core: options.core,
    executable: options.executable,
    notes,
    unwinder: options.settings.unwinder,
    maxFrames: options.settings.max_frames,
    deadline: options.deadline,
    timeoutMs: options.settings.timeout,
    env: options.env,
  });
  const payload = crashPayload({
    process: options.executable,
    pid: backtrace.pid ?? notes?.pid ?? options.pid ?? 0,
    signal: options.signal,
    error: backtrace.error,
    threads: backtrace.threads,
    maxFrames: options.settings.max_frames,
  });
  const kind = backtrace.error === null ? CRASH_CLASSIFICATIONS.clr : CRASH_CLASSIFICATIONS.error;
  return { event: { ...kind, payload, payloadVersion: 1 }, backtrace };
}
