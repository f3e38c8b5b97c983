/**
 * The built-in probes inside the agent. Each probe the policy enables runs with a ProbeContext of
 * its own: a state directory under /var/lib/telem/probes/, the agent's clock, and `emit`, which
 * turns the probe's event into a record with this machine's headers and hands it to the intake
 * like any probe's record (consent gate, machine id, then collection, routes, limits, the spool).
 * `apply` brings the running probes in line with a policy: probes turned off or whose settings
 * changed are stopped, then those turned on or changed are started, one probe at a time, so an old
 * instance never overlaps its successor in the same state directory. A probe that fails to start
 * is logged with its name and stays off; the agent goes on.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PROBE_NAMES } from '../../schemas/probes.js';
import { TelemError } from '../errors/telem-error.js';
import type { Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import { buildRecord } from '../record/build.js';
import { checkClassification, checkSeverity } from '../record/classification.js';
import type { TelemetryRecord } from '../record/fields.js';
import type { HostHeaders } from '../record/host.js';
import { checkPayloadSize, checkPayloadText } from '../record/payload.js';
import { setLongTimeout } from '../time/long-timeout.js';
import type { ProbeClock, ProbeContext, ProbeEvent, ProbeName, ProbeSettings, RunningProbe } from './probe.js';
import { type ProbeRegistry, probeDefinition } from './registry.js';

/** Where each probe keeps what it must remember across restarts, one directory per probe (0700). */
export const PROBES_STATE_DIR = '/var/lib/telem/probes';

export function probeStateDir(root: string, name: ProbeName): string {
  return underRoot(root, `${PROBES_STATE_DIR}/${name}`);
}

/** The real clock: Date.now and timers of any length that do not keep the process alive by themselves. */
export const SYSTEM_CLOCK: ProbeClock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setLongTimeout(callback, ms).unref();
    return { cancel: () => timer.clear() };
  },
};

export interface ProbeRunnerOptions {
  readonly root: string;
  readonly logger: Logger;
  /** This machine's headers, read once by the agent. */
  readonly host: HostHeaders;
  /** Hands a record to the intake: true once spooled, false when consent, collection or the spool refused it. */
  readonly submit: (record: TelemetryRecord) => Promise<boolean>;
  readonly clock?: ProbeClock;
  /** The definitions to run: the build's own (built-in/probes.ts), or a test's. */
  readonly probes: ProbeRegistry;
}

/**
 * running: started; failed: its start threw (see the log); missing: enabled, but this build has
 * no such probe.
 */
export type ProbeState = 'running' | 'failed' | 'missing';

export interface ProbeStatus {
  readonly state: ProbeState;
  /** Records it handed in since this agent started that were spooled, and that were not (consent, collection, limits, invalid). */
  readonly spooled: number;
  readonly refused: number;
}

interface Instance {
  running: RunningProbe;
  /** False once its stop() has resolved: a record after that is a bug of the probe. */
  accepting: boolean;
}

interface Slot {
  /** The settings it runs with, as JSON; null while the policy has it off. */
  wanted: string | null;
  state: ProbeState | null;
  instance: Instance | null;
  /** Starts and stops of this probe, in order. */
  chain: Promise<void>;
  spooled: number;
  refused: number;
}

export class ProbeRunner {
  readonly #options: ProbeRunnerOptions;
  readonly #clock: ProbeClock;
  readonly #registry: ProbeRegistry;
  readonly #slots = new Map<ProbeName, Slot>();
  #stopped = false;

  constructor(options: ProbeRunnerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#registry = options.probes;
  }

  /**
   * Runs what `settings` enables, restarting a probe whose settings differ (compared as JSON).
   * Returns at once; the promise resolves when every start and stop it caused is done.
   */
  apply(settings: ProbeSettings): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const name of PROBE_NAMES) {
      const wanted = settings[name].enabled ? JSON.stringify(settings[name]) : null;
      const slot = this.#slot(name);
      if (slot.wanted === wanted || this.#stopped) continue;
      slot.wanted = wanted;
      slot.chain = slot.chain.then(async () => {
        await this.#stopInstance(name, slot);
        // A later apply may have changed its mind while this one waited: that one starts it.
        if (wanted !== null && slot.wanted === wanted && !this.#stopped) this.#start(name, slot, settings[name]);
      });
      pending.push(slot.chain);
    }
    return Promise.all(pending).then(() => undefined);
  }

  /** Stops every probe; resolves when none runs any more. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(
      [...this.#slots].map(([name, slot]) => {
        slot.chain = slot.chain.then(() => this.#stopInstance(name, slot));
        return slot.chain;
      }),
    );
  }

  /** Whether any probe runs now. */
  running(): boolean {
    return [...this.#slots.values()].some((slot) => slot.state === 'running');
  }

  /** The probes the policy enables, with what they have handed in since the agent started. */
  status(): Partial<Record<ProbeName, ProbeStatus>> {
    const out: Partial<Record<ProbeName, ProbeStatus>> = {};
    for (const [name, slot] of this.#slots) if (slot.wanted !== null && slot.state !== null) out[name] = { state: slot.state, spooled: slot.spooled, refused: slot.refused };
    return out;
  }

  /** Prometheus text: records handed in per probe and outcome, since the agent started. */
  renderMetrics(): string {
    const lines = ['# HELP telem_probe_records_total Records the built-in probes handed in since the agent started, by probe and outcome.', '# TYPE telem_probe_records_total counter'];
    for (const [name, slot] of this.#slots) {
      if (slot.spooled + slot.refused === 0 && slot.wanted === null) continue;
      lines.push(`telem_probe_records_total{probe="${name}",outcome="spooled"} ${slot.spooled}`, `telem_probe_records_total{probe="${name}",outcome="refused"} ${slot.refused}`);
    }
    return `${lines.join('\n')}\n`;
  }

  #slot(name: ProbeName): Slot {
    let slot = this.#slots.get(name);
    if (!slot) {
      slot = { wanted: null, state: null, instance: null, chain: Promise.resolve(), spooled: 0, refused: 0 };
      this.#slots.set(name, slot);
    }
    return slot;
  }

  #start<N extends ProbeName>(name: N, slot: Slot, settings: ProbeSettings[N]): void {
    const { logger, root } = this.#options;
    const definition = probeDefinition(name, this.#registry);
    if (definition === undefined) {
      slot.state = 'missing';
      logger.warn({ probe: name }, `probe ${name} is enabled in the policy but this build of telem does not have it; it does not run`);
      return;
    }
    const instance: Instance = { running: { stop: () => Promise.resolve() }, accepting: true };
    try {
      const stateDir = probeStateDir(root, name);
      // The parent as any state directory of telem; the probe's own closed to other users.
      mkdirSync(path.dirname(stateDir), { recursive: true, mode: 0o755 });
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      const context: ProbeContext = {
        root,
        logger: logger.child({ probe: name }),
        stateDir,
        clock: this.#clock,
        emit: (event) => this.#emit(name, slot, instance, event),
      };
      instance.running = definition.start(settings, context);
    } catch (error) {
      slot.state = 'failed';
      logger.error({ probe: name, err: error }, `probe ${name} cannot start; the agent goes on without it`);
      return;
    }
    slot.instance = instance;
    slot.state = 'running';
    logger.info({ probe: name }, `probe ${name} started`);
  }

  async #stopInstance(name: ProbeName, slot: Slot): Promise<void> {
    const instance = slot.instance;
    slot.instance = null;
    slot.state = null;
    if (instance === null) return;
    try {
      await instance.running.stop();
    } catch (error) {
      this.#options.logger.error({ probe: name, err: error }, `probe ${name} failed to stop cleanly`);
    }
    instance.accepting = false;
    this.#options.logger.info({ probe: name }, `probe ${name} stopped`);
  }

  async #emit(name: ProbeName, slot: Slot, instance: Instance, event: ProbeEvent): Promise<boolean> {
    if (!instance.accepting) throw new TelemError('probe-stopped', `probe ${name} handed in a record after it was stopped`);
    const payload = Buffer.from(event.payload, 'utf8');
    const problem = checkClassification(event.classification) ?? checkSeverity(event.severity) ?? checkPayloadSize(payload) ?? checkPayloadText(payload);
    if (problem !== null) {
      slot.refused += 1;
      this.#options.logger.error({ probe: name, code: problem.code, classification: event.classification }, `probe ${name} made a record that cannot be sent: ${problem.message}`);
      return false;
    }
    const record = buildRecord({
      classification: event.classification,
      severity: event.severity,
      payloadVersion: event.payloadVersion ?? 1,
      host: this.#options.host,
      payload,
      createdAt: event.createdAt ?? new Date(this.#clock.now()),
    });
    const spooled = await this.#options.submit(record);
    if (spooled) slot.spooled += 1;
    else slot.refused += 1;
    return spooled;
  }
}
