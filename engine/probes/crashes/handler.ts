/**
 * The kernel.core_pattern pipe handler behind `telem crash-report`: one crash, the core on the
 * input, in bounded time. In order —
 *   1. the machine's policy (what `telem run` loads under the root): crashes off, or the machine
 *      not opted in, and the core is read and dropped;
 *   2. the privacy filter on the path the kernel gave (%E), so a filtered crash is never unwound
 *      and its core is only stored when keep_core asks for it;
 *   3. the core into a file of mode 0600 (removed afterwards unless keep_core names a directory);
 *   4. the unwinder, killed at the deadline — `timeout` after the handler started, less a margin
 *      kept for sending — and upstream's payload from whatever it printed;
 *   5. the record to the agent's socket, as `telem record` sends it.
 * The input is always read to its end. Nothing here throws for a crash it cannot report: the
 * outcome says what happened and the logger has the details (the kernel ignores the handler's
 * exit status and output).
 */
import { isOptedIn } from '../../consent/opt-in.js';
import { loadAgentPolicy } from '../../load/agent-policy.js';
import type { Logger } from '../../log/logger.js';
import { underRoot } from '../../paths/root.js';
import { createRecord, setPayload } from '../../probe/record.js';
import { send } from '../../probe/send.js';
import { RecordError } from '../../record/problem.js';
import type { ProbeEvent } from '../probe.js';
import { CRASH_CLASSIFICATIONS } from './classifications.js';
import { receiveCore } from './core-file.js';
import { crashPayload } from './payload.js';
import { filteredEvent, unwoundEvent, type CrashSettings } from './report.js';

/** What the kernel says about the crash: `%P %s %e %E`. */
export interface CrashArguments {
  /** Global pid (%P). */
  readonly pid: number | null;
  /** The signal number (%s). */
  readonly signal: number | null;
  /** The short process name (%e). */
  readonly comm: string;
  /** The executable's path, "!" already turned back into "/". */
  readonly executable: string;
}

export interface CrashHandlerOptions {
  readonly root: string;
  /** A policy file used as given instead of the machine's. */
  readonly policyFile?: string | undefined;
  /** The agent's socket used as given instead of the policy's intake.socket under the root. */
  readonly socketPath?: string | undefined;
  readonly crash: CrashArguments;
  readonly input: AsyncIterable<Buffer | string>;
  /** Epoch ms the handler started (the process start): the timeout counts from here. */
  readonly startedAt: number;
  /** Where the unwinders are looked for (PATH) and the environment they run in. */
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
}

export type CrashOutcome =
  | { readonly action: 'off'; readonly reason: string; readonly bytes: number }
  | {
      readonly action: 'sent' | 'not-sent';
      readonly event: ProbeEvent;
      readonly bytes: number;
      /** The kept core, or null. */
      readonly keptCore: string | null;
      /** Why it was not sent. */
      readonly problem?: string;
    };

/** Time kept after the unwinder's deadline for building and sending the record. */
export function sendingMargin(timeoutMs: number): number {
  return Math.min(1000, Math.floor(timeoutMs / 5));
}

async function drain(input: AsyncIterable<Buffer | string>): Promise<number> {
  let bytes = 0;
  for await (const chunk of input) bytes += chunk.length;
  return bytes;
}

interface Machine {
  readonly settings: CrashSettings | null;
  readonly socketPath: string;
  readonly requireOptIn: boolean;
  readonly problem: string | null;
}

async function machineSettings(options: CrashHandlerOptions): Promise<Machine> {
  const found = await loadAgentPolicy({ root: options.root, policy: options.policyFile });
  const policy = found.policy;
  if (!policy) {
    const first = found.diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    return { settings: null, socketPath: '', requireOptIn: true, problem: `the machine's policy cannot be used (${first?.file ?? found.file ?? 'policy'}: ${first?.message ?? 'invalid'})` };
  }
  return {
    settings: policy.collection.probes.crashes,
    socketPath: options.socketPath ?? underRoot(options.root, policy.intake.socket),
    requireOptIn: policy.consent.require_opt_in,
    problem: null,
  };
}

async function off(options: CrashHandlerOptions, reason: string): Promise<CrashOutcome> {
  const bytes = await drain(options.input);
  options.logger.info({ bytes, executable: options.crash.executable }, `no crash report: ${reason}; the core was read and dropped`);
  return { action: 'off', reason, bytes };
}

async function deliver(options: CrashHandlerOptions, machine: Machine, event: ProbeEvent, deadline: number): Promise<string | null> {
  try {
    const record = setPayload(
      await createRecord({ classification: event.classification, severity: event.severity, payloadVersion: event.payloadVersion ?? 1, root: options.root }),
      event.payload,
    );
    // The agent confirms once the record is durable; past the deadline it gets a last half second.
    await send(record, { root: options.root, socketPath: machine.socketPath, requireOptIn: machine.requireOptIn, timeoutMs: Math.max(500, deadline - Date.now()) });
    return null;
  } catch (error) {
    if (error instanceof RecordError) return error.message;
    throw error;
  }
}

export async function handleCrash(options: CrashHandlerOptions): Promise<CrashOutcome> {
  const machine = await machineSettings(options).catch((error: unknown) => ({
    settings: null,
    socketPath: '',
    requireOptIn: true,
    problem: `the machine's policy cannot be loaded: ${(error as Error).message}`,
  }));
  if (machine.problem !== null) options.logger.error(machine.problem);
  const settings = machine.settings;
  if (!settings?.enabled) return off(options, 'crash reports are off (collection.probes.crashes.enabled is false)');
  if (machine.requireOptIn && !(await isOptedIn({ root: options.root }))) return off(options, 'the machine has not opted in to telemetry (telem opt-in)');

  const deadline = options.startedAt + settings.timeout;
  const unwindBy = deadline - sendingMargin(settings.timeout);
  const { crash } = options;
  const filtered = filteredEvent(crash.executable, settings);
  const core = await receiveCore({
    input: options.input,
    store: filtered === null || settings.keep_core !== null,
    keepDir: settings.keep_core === null ? null : underRoot(options.root, settings.keep_core),
    name: crash.comm,
    pid: crash.pid,
    storeUntil: unwindBy,
  });
  try {
    let event: ProbeEvent;
    if (filtered) event = filtered;
    else if (core.file === null) {
      event = {
        ...CRASH_CLASSIFICATIONS.error,
        payload: crashPayload({ process: crash.executable, pid: crash.pid ?? 0, signal: crash.signal, error: core.problem, threads: [], maxFrames: settings.max_frames }),
        payloadVersion: 1,
      };
    } else {
      const unwound = await unwoundEvent({ core: core.file, executable: crash.executable, pid: crash.pid, signal: crash.signal, settings, deadline: unwindBy, env: options.env });
      event = unwound.event;
      // A core that did not arrive whole is reported as an error, with what could be unwound from it.
      if (core.problem !== null && unwound.backtrace.error === null) {
        const { backtrace } = unwound;
        const pid = backtrace.pid ?? crash.pid ?? 0;
        event = {
          ...CRASH_CLASSIFICATIONS.error,
          payload: crashPayload({ process: crash.executable, pid, signal: crash.signal, error: core.problem, threads: backtrace.threads, maxFrames: settings.max_frames }),
          payloadVersion: 1,
        };
      }
    }
    if (core.problem !== null) options.logger.warn({ bytes: core.bytes }, core.problem);
    const keptCore = core.kept ? core.file : null;
    const problem = await deliver(options, machine, event, deadline);
    const fields = { classification: event.classification, severity: event.severity, executable: crash.executable, bytes: core.bytes, keptCore };
    if (problem === null) {
      options.logger.info(fields, 'crash report sent');
      return { action: 'sent', event, bytes: core.bytes, keptCore };
    }
    options.logger.error(fields, `crash report not sent: ${problem}`);
    return { action: 'not-sent', event, bytes: core.bytes, keptCore, problem };
  } finally {
    await core.discard();
  }
}
