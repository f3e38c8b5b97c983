/**
 * The heartbeat probe (collection.probes.heartbeat): upstream's hprobe.timer, which ran
 * `hprobe -Hlu` daily with RandomizedDelaySec=6h, inside the agent. Each heartbeat is due `every`
 * after the last one and waits a uniform random time up to `random_delay` past its due time, so a
 * fleet does not report at once. The time of the last heartbeat is kept in the probe's state
 * directory, so a restarted agent keeps the schedule instead of sending one at every start, and a
 * heartbeat that fell due while the agent was down is sent soon after the start (after a fresh
 * random delay). Every time comes from the context's clock, so tests run on a virtual one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TelemError } from '../../errors/telem-error.js';
import type { Logger } from '../../log/logger.js';
import { writeFileAtomic } from '../../paths/write-atomic.js';
import { helloPayload } from '../../probe/hello.js';
import type { ProbeContext, ProbeDefinition, ProbeEvent, ProbeSettings, RunningProbe } from '../probe.js';

type HeartbeatSettings = ProbeSettings['heartbeat'];

/** In the probe's state directory: `{ "format_version": 1, "last_sent_at": "<ISO time>" }`. */
export const HEARTBEAT_STATE_FILE = 'last-sent.json';

/** The shortest time between two heartbeats: `every: 0s` would otherwise send them without pause. */
export const MIN_HEARTBEAT_EVERY_MS = 1000;

export interface HeartbeatProbeOptions {
  /** Uniform in [0, 1): the share of random_delay a heartbeat waits; Math.random unless a test fixes it. */
  readonly random?: () => number;
}

/** The time of the last heartbeat, or null: none yet, or a file that cannot be read (said in the log). */
function readLastSent(file: string, logger: Logger): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ probe: 'heartbeat', file, err: error }, 'cannot read when the last heartbeat was sent; sending one soon');
    return null;
  }
  try {
    const at = Date.parse((JSON.parse(text) as { last_sent_at?: unknown }).last_sent_at as string);
    if (Number.isFinite(at)) return at;
  } catch {
    // Reported below, like a file without a time.
  }
  logger.warn({ probe: 'heartbeat', file }, 'the file of the last heartbeat holds no time; sending one soon');
  return null;
}

function writeLastSent(file: string, at: number, logger: Logger): void {
  try {
    writeFileAtomic(file, `${JSON.stringify({ format_version: 1, last_sent_at: new Date(at).toISOString() })}\n`);
  } catch (error) {
    logger.warn({ probe: 'heartbeat', file, err: error }, 'cannot keep when the heartbeat was sent; a restart sends one again soon');
  }
}

/**
 * The heartbeat as upstream's timer sends it. Inside the agent (`logger` given) a bundle directory
 * that cannot be listed does not cost the heartbeat: it is sent without the list, with a warning.
 */
async function heartbeatEvent(settings: HeartbeatSettings, root: string, logger?: Logger): Promise<ProbeEvent> {
  const parts = { root, locale: settings.locale, uptime: settings.uptime, bundles: settings.bundles };
  let payload: string;
  try {
    payload = await helloPayload(parts);
  } catch (error) {
    if (logger === undefined || !(error instanceof TelemError)) throw error;
    logger.warn({ probe: 'heartbeat', err: error }, `heartbeat sent without the bundle list: ${error.message}`);
    payload = await helloPayload({ ...parts, bundles: false });
  }
  return { classification: settings.classification, severity: settings.severity, payload };
}

function startHeartbeat(settings: HeartbeatSettings, context: ProbeContext, random: () => number): RunningProbe {
  const { clock, logger } = context;
  const file = path.join(context.stateDir, HEARTBEAT_STATE_FILE);
  const every = Math.max(settings.every, MIN_HEARTBEAT_EVERY_MS);
  if (every !== settings.every) logger.warn({ probe: 'heartbeat', every: settings.every }, `heartbeat every ${settings.every} ms is too often: one every ${every} ms instead`);
  let timer: { cancel(): void } | null = null;
  let stopped = false;
  let beating: Promise<void> = Promise.resolve();

  /** Waits for `due` (now when it has passed), then a random time up to random_delay. */
  const arm = (due: number): void => {
    if (stopped) return;
    const now = clock.now();
    const at = Math.max(due, now) + Math.floor(random() * settings.random_delay);
    timer = clock.setTimeout(() => {
      timer = null;
      beating = beat();
    }, at - now);
    logger.debug({ probe: 'heartbeat', at: new Date(at).toISOString() }, 'next heartbeat scheduled');
  };

  const beat = async (): Promise<void> => {
    const now = clock.now();
    try {
      const taken = await context.emit(await heartbeatEvent(settings, context.root, logger));
      logger.debug({ probe: 'heartbeat', taken }, taken ? 'heartbeat spooled' : 'heartbeat not taken (consent or collection)');
      // A heartbeat the policy refused counts as made: the next is due `every` later all the same.
      writeLastSent(file, now, logger);
    } catch (error) {
      // The agent is stopping: nothing is written, so the next start sends this heartbeat soon.
      logger.warn({ probe: 'heartbeat', err: error }, 'heartbeat not sent');
    }
    arm(now + every);
  };

  const last = readLastSent(file, logger);
  // A last time in the future (the clock went back) waits no longer than `every` from now.
  arm(last === null ? clock.now() : Math.min(last, clock.now()) + every);
  return {
    async stop() {
      stopped = true;
      timer?.cancel();
      await beating;
    },
  };
}

/** The definition with its own source of randomness (tests fix it to check exact times). */
export function createHeartbeatProbe(options: HeartbeatProbeOptions = {}): ProbeDefinition<'heartbeat'> {
  const random = options.random ?? Math.random;
  return {
    name: 'heartbeat',
    summary:
      'a heartbeat every `every` (24h) after a random delay up to `random_delay` (6h), payload as upstream `hprobe -Hlu`: ' +
      '"hello", the locale and the uptime (and the Clear Linux bundles with bundles: true)',
    classifications: (settings) => [settings.classification],
    start: (settings, context) => startHeartbeat(settings, context, random),
    once: async (settings, options) => [await heartbeatEvent(settings, options.root)],
  };
}

export const heartbeatProbe: ProbeDefinition<'heartbeat'> = createHeartbeatProbe();
