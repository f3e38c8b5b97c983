/**
 * A running agent process: the policy → agent → intake socket, plus reload (SIGHUP or a change
 * of the policy file), the optional metrics endpoint and systemd socket activation. `telem run`
 * is a thin shell over this; tests and benchmarks start it the same way.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { createDestinationClient } from '../deliver/create-client.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { intakeOptionsFromPolicy } from '../intake/from-policy.js';
import { type IntakeServer, createIntakeServer } from '../intake/server.js';
import { readBootId } from '../journal/boot-id.js';
import { openJournalWriter } from '../journal/journal-writer.js';
import { type AgentPolicy, loadAgentPolicy } from '../load/agent-policy.js';
import type { Logger } from '../log/logger.js';
import { TelemError, asStartError } from '../errors/telem-error.js';
import { underRoot } from '../paths/root.js';
import { spoolLockFile, takeLock } from '../spool/dir-lock.js';
import { type AcceptResult, Agent } from './agent.js';
import { PLAN_SYMBOL, type PlanAction } from '../plan/action.js';
import { diffPolicies } from '../plan/diff.js';
import { appliedPolicyPath, writeAppliedPolicy } from './applied-policy.js';
import { startMetricsServer } from './metrics-server.js';
import { trimHeapWhenQuiet } from './heap-trim.js';
import { keepStatusFile, statusFilePath } from './status-file.js';
import { type PolicyWatcher, watchPolicyFile } from './policy-watcher.js';
import { importUpstreamSpool } from './upstream-import.js';
import { FleetClient, RolledBackError, type FleetStatus } from '../fleet-agent/client.js';
import { readHostHeaders } from '../record/host.js';
import type { TelemetryRecord } from '../record/fields.js';
import { PROBES } from '../probes/built-in/probes.js';
import { ProbeRunner } from '../probes/runner.js';
import { StatusReporter } from './status-record.js';

export interface RuntimeOptions {
  /** --policy: used as given; when absent the machine's policy is searched under the root. */
  readonly policy?: string | undefined;
  readonly root: string;
  readonly logger: Logger;
  /** "host:port" for /metrics and /status; off when absent. */
  readonly metrics?: string | undefined;
  /** Environment for socket activation (LISTEN_FDS/LISTEN_PID). */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once when, under socket activation, no record came for `intake.recycle_after`. */
  readonly onIdle?: () => void;
}

export interface Runtime {
  readonly agent: Agent;
  readonly intake: IntakeServer;
  readonly policySource: AgentPolicy;
  /** The fleet client (idle while the local policy has no fleet.source). */
  readonly fleet: FleetClient;
  /** The built-in probes the policy enables (collection.probes). */
  readonly probes: ProbeRunner;
  readonly metricsUrl: string | null;
  /** Re-reads the policy; keeps the running one (and returns its diagnostics) when the new one has errors. */
  reload(): Promise<{ readonly applied: boolean; readonly diagnostics: readonly Diagnostic[] }>;
  /** Stops taking records, finishes those in flight and delivery attempts under way, closes everything. */
  stop(): Promise<void>;
}

function policyError(checked: AgentPolicy): TelemError {
  return new TelemError(checked.unreadable ? 'policy-unreadable' : 'policy-invalid', `the policy ${checked.file ?? '(compiled defaults)'} cannot be used`, {
    diagnostics: checked.diagnostics,
  });
}

/** SD_LISTEN_FDS_START: the first descriptor systemd passes. */
const FIRST_INHERITED_FD = 3;

function inheritedSocket(env: NodeJS.ProcessEnv): number | undefined {
  const count = Number(env.LISTEN_FDS ?? 0);
  if (count < 1) return undefined;
  if (env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) !== process.pid) return undefined;
  return FIRST_INHERITED_FD;
}

function summarize(diagnostics: readonly Diagnostic[]): { code: string; severity: string; message: string; at: string }[] {
  return diagnostics.map((d) => ({ code: d.code, severity: d.severity, message: d.message, at: `${d.file ?? ''}${d.line === undefined ? '' : `:${d.line}:${d.column ?? 1}`}` }));
}

/** Starts the agent; every failure to start is a TelemError (see errors/codes.ts), anything else a bug. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  try {
    return await start(options);
  } catch (error) {
    throw asStartError(error);
  }
}

async function start(options: RuntimeOptions): Promise<Runtime> {
  const { root, logger } = options;
  const env = options.env ?? process.env;
  const metricsAddress = options.metrics ? parseHostPort(options.metrics) : null;
  const initial = await loadAgentPolicy({ policy: options.policy, root });
  if (!initial.policy) throw policyError(initial);
  if (initial.diagnostics.length > 0) logger.warn({ diagnostics: summarize(initial.diagnostics) }, 'policy has warnings');
  // The headers of the agent's own status records, read once (missing files give upstream's markers).
  const hostHeaders = await readHostHeaders({ root });
  /** The local policy: the floor, and where the fleet settings come from. */
  let local: ResolvedPolicy = initial.policy;
  // Assigned before the fleet client calls back (it only does once started).
  let applyPolicy: (next: ResolvedPolicy, what: string) => void = () => undefined;
  let healthy: () => boolean = () => false;
  let reporter: StatusReporter | null = null;
  /** Tells the status file something happened (it checks less often while nothing does); set once the file is kept. */
  let touchStatus = () => {};
  /** What a record's arrival tells the status file and the heap trimmer; set once they run. */
  let noteRecord = () => {};
  const fleet = new FleetClient({
    root,
    logger,
    host: {
      local: () => local,
      apply: (next, bundle) => applyPolicy(next, bundle === null ? 'the local policy' : `fleet bundle ${bundle.manifest.channel} ${bundle.manifest.sequence}`),
      healthy: () => healthy(),
      counters: () => {
        const { delivered, failed, dropped, spoolBytes } = agent.totals();
        return { delivered, failed, dropped, spoolBytes };
      },
      listening: () => intake.listening,
      onChange: () => {
        touchStatus();
        void reporter?.emit();
      },
    },
  });
  // The persisted active bundle (checked against the local policy) when there is one: the agent
  // runs it from the start, whether the source can be reached or not.
  const base = fleet.rebase(local);
  let policy: ResolvedPolicy = base.policy;
  if (base.bundle) logger.info({ channel: base.bundle.manifest.channel, sequence: base.bundle.manifest.sequence, policy: policy.metadata.name }, 'starting from the active fleet bundle');

  // Before anything of the spool, the journal or the socket is touched: a second agent started on
  // the same root by mistake stops here, and the running one keeps everything it has.
  const spoolDir = underRoot(root, policy.spool.dir);
  const spoolLock = takeLock(spoolLockFile(spoolDir), `the spool ${spoolDir}`);
  if (spoolLock.unlockedReason) logger.warn({ dir: spoolDir, code: spoolLock.unlockedReason }, 'cannot lock the spool directory (it cannot be written either)');
  let agent: Agent;
  try {
    const journal = await openJournalWriter({ root, retention: policy.retention, logger });
    agent = await Agent.start({
      policy,
      root,
      logger,
      journal,
      bootId: await readBootId(root),
      createClient: (config) => createDestinationClient(config, { root, logger }),
    });
  } catch (error) {
    spoolLock.release();
    throw error;
  }
  await importUpstreamSpool({ dir: spoolDir, agent, logger });

  const fd = inheritedSocket(env);
  let lastRecordAt = Date.now();
  /**
   * Set while the agent hands in a record it made (see handIn): where the agent's answer goes, and
   * whether it is the agent's own status record, which is no probe's record and keeps no
   * socket-activated agent up. A built-in probe's record is a probe's record like any other.
   */
  let handing: { readonly own: boolean; result: Promise<AcceptResult> | null } | null = null;
  const intake = createIntakeServer({
    ...intakeOptionsFromPolicy(policy, {
      root,
      logger,
      sink: {
        // Not async up to agent.accept: the record is in the spool before this returns (see RecordSink).
        accept: (accepted) => {
          const made = handing;
          if (!made?.own) lastRecordAt = Date.now();
          noteRecord();
          const result = agent.accept(accepted.record);
          if (made) made.result = result;
          return result.then(() => undefined);
        },
      },
    }),
    onRefused: (reason) => agent.countRefusal(reason),
    ...(fd === undefined ? {} : { fd }),
  });
  agent.observeIntake(() => intake.stats());
  // A start that fails half way stops what it started, so the process can exit with the error.
  await intake.listen().catch(async (error: unknown) => {
    // Not listening: the socket path is not ours to remove (another agent may own it).
    await agent.stop();
    spoolLock.release();
    throw error;
  });

  /**
   * A record the agent made, through the intake (consent gate, machine id) to the agent: the
   * agent's answer, or null when consent kept it. intake.submit calls the sink before its first
   * await, so `handing` covers exactly that call.
   */
  const handIn = (record: TelemetryRecord, own: boolean): Promise<AcceptResult | null> => {
    const made: { own: boolean; result: Promise<AcceptResult> | null } = { own, result: null };
    handing = made;
    let submitted: Promise<boolean>;
    try {
      submitted = intake.submit(record);
    } finally {
      handing = null;
    }
    return submitted.then((taken) => (taken ? made.result : null));
  };
  const probes = new ProbeRunner({
    root,
    logger,
    host: hostHeaders,
    probes: PROBES,
    submit: (record) => handIn(record, false).then((result) => result?.status === 'spooled'),
  });

  let metricsUrl: string | null = null;
  const fleetStatus = (): FleetStatus | null => (local.fleet.source === null ? null : fleet.status());
  function runtimeStatus() {
    return { ...agent.status(), socket: intake.socketPath, metrics: metricsUrl, fleet: fleetStatus(), probes: probes.status() };
  }
  const metrics = metricsAddress
    ? await startMetricsServer({ metrics: () => agent.renderMetrics() + probes.renderMetrics(), status: () => runtimeStatus(), ...metricsAddress }).catch(async (error: unknown) => {
        await intake.close({ drain: false });
        await agent.stop();
        spoolLock.release();
        throw error;
      })
    : null;

  metricsUrl = metrics?.url ?? null;

  function recordApplied(applied: ResolvedPolicy): void {
    try {
      writeAppliedPolicy(root, applied);
    } catch (error) {
      logger.warn({ err: error, file: appliedPolicyPath(root) }, 'cannot write the applied policy; telem plan --running will not see it');
    }
  }

  healthy = () => {
    const { destinations } = agent.status();
    return !agent.totals().spoolFailing && Object.values(destinations).every((health) => health.state === 'ok' || health.state === 'removed');
  };

  /** The one path every policy change takes, local or from a bundle: plan logged, agent reloaded, applied file written. */
  applyPolicy = (next: ResolvedPolicy, what: string): void => {
    if (JSON.stringify(next.intake) !== JSON.stringify(policy.intake) || JSON.stringify(next.spool) !== JSON.stringify(policy.spool)) {
      logger.warn({ from: what }, 'intake and spool settings take effect at the next start; routing, limits and destinations apply now');
    }
    logPlan(logger, diffPolicies(policy, next, { waiting: waitingByDestination(agent) }));
    const before = policy;
    try {
      agent.reload(next);
    } catch (error) {
      // Half applied: put the running policy back, so the agent never runs a mix.
      try {
        agent.reload(before);
      } catch (again) {
        logger.error({ err: again }, 'cannot put the previous policy back');
      }
      throw new RolledBackError(`applying ${what} failed, the previous policy was put back: ${(error as Error).message}`);
    }
    policy = next;
    recordApplied(policy);
    // Probes turned off or changed stop, new ones start; a probe that cannot start is logged, never fatal.
    void probes.apply(policy.collection.probes);
  };

  let reloading: Promise<{ applied: boolean; diagnostics: readonly Diagnostic[] }> | null = null;
  const reload = (): Promise<{ applied: boolean; diagnostics: readonly Diagnostic[] }> => {
    reloading ??= (async () => {
      try {
        const next = await loadAgentPolicy({ policy: options.policy, root });
        if (!next.policy) {
          logger.error({ diagnostics: summarize(next.diagnostics) }, 'new policy has errors; still running the previous one');
          return { applied: false, diagnostics: next.diagnostics };
        }
        const hadSource = local.fleet.source !== null;
        local = next.policy;
        // The active bundle again on top of the new local floor, or the local policy when it refuses it (rolled_back).
        const rebased = fleet.rebase(local);
        try {
          applyPolicy(rebased.policy, rebased.bundle ? `the local policy with fleet bundle ${rebased.bundle.manifest.sequence}` : 'the local policy');
        } catch (error) {
          logger.error({ err: error }, 'the new policy cannot be applied; still running the previous one');
          return { applied: false, diagnostics: next.diagnostics };
        } finally {
          fleet.restart();
        }
        if (hadSource || local.fleet.source !== null) void reporter?.emit();
        return { applied: true, diagnostics: next.diagnostics };
      } finally {
        reloading = null;
      }
    })();
    return reloading;
  };

  const watcher: PolicyWatcher | null = initial.watchPath ? watchPolicyFile(initial.watchPath, () => void reload()) : null;

  // Socket activation: systemd starts us again on the next connection, so idling can end the process.
  const recycleAfter = policy.intake.recycle_after;
  const onIdle = options.onIdle;
  let heldByProbes = false;
  const idleTimer =
    fd !== undefined && recycleAfter !== null && onIdle
      ? setInterval(
          () => {
            // A built-in probe watches its source from inside the agent: nothing would start the agent
            // again for it, so while one runs the agent is never idle.
            if (probes.running()) {
              if (!heldByProbes) logger.info('built-in probes run inside the agent: it stays up under socket activation (intake.recycle_after waits until none runs)');
              heldByProbes = true;
              return;
            }
            heldByProbes = false;
            if (Date.now() - lastRecordAt >= recycleAfter && Object.values(agent.status().backlog).every((count) => count === 0)) {
              logger.info({ idleMs: Date.now() - lastRecordAt }, 'idle under socket activation; stopping');
              clearInterval(idleTimer as NodeJS.Timeout);
              onIdle();
            }
          },
          Math.min(recycleAfter, 60_000),
        )
      : null;

  const statusFile = keepStatusFile({
    root,
    status: runtimeStatus,
    onError: (error) => logger.warn({ err: error, file: statusFilePath(root) }, 'cannot write the status file; telem status will not see this agent'),
  });
  touchStatus = () => statusFile.touch();
  const heapTrim = trimHeapWhenQuiet({ logger });
  noteRecord = () => {
    statusFile.touch();
    heapTrim.activity();
  };

  recordApplied(policy);
  reporter = new StatusReporter({
    agent,
    host: hostHeaders,
    logger,
    policy: () => policy,
    fleet: fleetStatus,
    healthy: () => healthy(),
    submit: (record) => handIn(record, true).then((result) => result !== null),
  });
  reporter.start();
  void probes.apply(policy.collection.probes);
  fleet.start();
  if (local.fleet.source !== null) void reporter.emit();
  logger.info(
    { policy: policy.metadata.name, revision: policy.metadata.revision, from: initial.file ?? initial.origin, socket: intake.socketPath, metrics: metrics?.url ?? null },
    'agent ready',
  );

  let stopping: Promise<void> | null = null;
  return {
    agent,
    intake,
    policySource: initial,
    fleet,
    probes,
    metricsUrl: metrics?.url ?? null,
    reload,
    stop() {
      stopping ??= (async () => {
        watcher?.close();
        if (idleTimer) clearInterval(idleTimer);
        // First: a probe's last records still find the intake and the spool open.
        await probes.stop();
        await fleet.stop();
        await reporter?.stop();
        await intake.close({ drain: true });
        await agent.stop();
        statusFile.stop();
        heapTrim.stop();
        spoolLock.release();
        await metrics?.close();
        logger.info('agent stopped');
      })();
      return stopping;
    },
  };
}

function waitingByDestination(agent: Agent): Record<string, number> {
  return Object.fromEntries(Object.entries(agent.status().destinations).map(([name, health]) => [name, health.queued + health.held + health.inFlight]));
}

/** One log line per action of a reload, a warning for those that lose records or let more leave. */
function logPlan(logger: Logger, actions: readonly PlanAction[]): void {
  for (const action of actions) {
    const fields = { plan: action.kind, entity: action.entity, name: action.name, impact: action.impact, changed: action.changes.map((change) => change.path) };
    const line = `reload: ${PLAN_SYMBOL[action.kind]} ${action.entity} ${action.name}${action.reason === '' ? '' : `: ${action.reason}`}`;
    if (action.impact === 'neutral') logger.info(fields, line);
    else logger.warn(fields, line);
  }
}

function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(text);
  if (!match) throw new TelemError('metrics-address', `the metrics address must be HOST:PORT or PORT, got "${text}"`);
  return { host: match[1] || '127.0.0.1', port: Number(match[2]) };
}
