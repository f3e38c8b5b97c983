/**
 * What a built-in probe is (collection.probes, schemas/probes.ts): a function from its settings
 * to records, run two ways —
 *   * live, inside the agent (`start`): it watches its source and hands each record to `emit`,
 *     which resolves once the record is in the spool (or refused by collection/consent), so a
 *     probe advances its remembered position (kmsg sequence, journal cursor, reported pstore
 *     names) only after `emit` resolved;
 *   * once (`once`), for `telem probe NAME [--input FILE] --print` and tests: it reads the live
 *     source, or `input` (a saved kernel log, pstore directory, journal file or core file),
 *     returns what it would send and sends nothing, remembering nothing.
 * Probes produce plain events; the runner turns them into records with the host's headers.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { Logger } from '../log/logger.js';

export type ProbeSettings = ResolvedPolicy['collection']['probes'];
export type ProbeName = keyof ProbeSettings;

/** One record a probe wants sent; the runner adds the host headers, machine id and event id. */
export interface ProbeEvent {
  readonly classification: string;
  readonly severity: number;
  /** UTF-8 text of at most 8192 bytes (the probe cuts long payloads visibly, never mid-character). */
  readonly payload: string;
  /** payload_format_version; 1 unless the probe says otherwise. */
  readonly payloadVersion?: number;
  /** When the event happened (an oops's kernel time, a journal entry's time); now when absent. */
  readonly createdAt?: Date;
}

export interface ProbeContext {
  /** Root directory prefixed to every absolute path read or written (tests use a temporary one). */
  readonly root: string;
  readonly logger: Logger;
  /** A directory of this probe's own under /var/lib/telem/probes/ (made on first use), for positions it keeps across restarts. */
  readonly stateDir: string;
  /** Hands the event to the agent: true once spooled, false when collection, consent or a limit refused it. Rejects only when the agent is stopping. */
  readonly emit: (event: ProbeEvent) => Promise<boolean>;
  /** Time source, replaceable in tests (a virtual clock). */
  readonly clock: ProbeClock;
}

export interface ProbeClock {
  now(): number;
  /** Like setTimeout, for any length of time (durations beyond 24.8 days included). */
  setTimeout(callback: () => void, ms: number): { cancel(): void };
}

export interface RunningProbe {
  /** Stops watching; resolves when nothing of the probe runs any more. */
  stop(): Promise<void>;
}

export interface OnceOptions {
  readonly root: string;
  /** Read this file or directory instead of the live source. */
  readonly input?: string | undefined;
}

export interface ProbeDefinition<N extends ProbeName = ProbeName> {
  readonly name: N;
  /** One line for `telem report` and `--help`: what the probe reads and what it sends. */
  readonly summary: string;
  /** The classifications it can send with these settings, for `telem report` and `telem plan`. */
  classifications(settings: ProbeSettings[N]): readonly string[];
  /** Runs inside the agent while the policy enables the probe. */
  start(settings: ProbeSettings[N], context: ProbeContext): RunningProbe;
  /** What the probe would send now (or for `input`), without sending or remembering anything. */
  once(settings: ProbeSettings[N], options: OnceOptions): Promise<readonly ProbeEvent[]>;
}
