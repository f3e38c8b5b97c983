/**
 * The agent runtime compiled from a policy: accept (collection, redaction, routing) → spool
 * (written before the next record is read, synced before any destination sees it) → dispatcher
 * (limits, delivery, retries) → settlement (spool ack, journal, counters). A reload swaps the plan
 * for new records; records already spooled keep the routing they were accepted with, except that
 * those waiting for a destination the policy no longer has are re-routed through the current routes.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { compilePolicy } from '../compile/compile.js';
import type { RuntimePlan } from '../compile/runtime-plan.js';
import type { IntakeStats } from '../intake/stats.js';
import type { JournalEntry, JournalOutcome } from '../journal/entry.js';
import type { Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import { randomId } from '../record/classification.js';
import type { TelemetryRecord } from '../record/fields.js';
import { Router } from '../route/router.js';
import { type RouteTargets, type SpoolEntry, targetKey } from '../spool/entry.js';
import type { IndexEntry } from '../spool/index-entry.js';
import { type ReadBack, Spool, SpoolFullError } from '../spool/spool.js';
import { type ClientFactory, ClientRegistry } from './client-registry.js';
import { PersistentCounters } from './counters.js';
import type { DestinationHealth } from './destination-health.js';
import { Dispatcher, type DispatcherState, type Settlement, type WithdrawnTarget } from './dispatcher.js';
import { AgentMetrics } from './metrics.js';

export type { ClientFactory } from './client-registry.js';

/** Where the agent writes record outcomes (the journal stage implements it). */
export interface JournalWriter {
  /** Written before it returns: outcomes decided while the probe's connection is still open. */
  appendNow(entry: JournalEntry): void;
  /** Written before it returns, in one write: settlements, journaled before the spool settles them. */
  appendAllNow(items: readonly { readonly entry: JournalEntry; readonly payload?: Buffer | undefined }[]): void;
  close(): Promise<void>;
}

export interface AgentOptions {
  readonly policy: ResolvedPolicy;
  readonly root: string;
  readonly logger: Logger;
  readonly createClient: ClientFactory;
  readonly journal: JournalWriter;
  readonly bootId: string;
  readonly now?: () => number;
}

export type AcceptResult =
  { readonly status: 'spooled'; readonly id: string; readonly routes: readonly string[] } | { readonly status: 'rejected' | 'dropped'; readonly id: string; readonly reason: string };

/** What /status serves and the status file holds (telem status reads it). */
export interface AgentStatus {
  readonly pid: number;
  readonly startedAt: string;
  readonly policy: { readonly name: string; readonly revision: number; readonly source: string | null };
  readonly spool: { readonly dir: string; readonly records: number; readonly bytes: number; readonly maxBytes: number | null };
  /** Records waiting, held back or in flight, per destination. */
  readonly backlog: Readonly<Record<string, number>>;
  readonly destinations: Readonly<Record<string, DestinationHealth>>;
  /** Records dropped, by reason, across restarts. */
  readonly drops: Readonly<Record<string, number>>;
  readonly intake: {
    /** Records read and handed on since this start. */
    readonly accepted: number;
    /** Connections refused, by reason, across restarts. */
    readonly refused: Readonly<Record<string, number>>;
    /** Connections closed without a byte since this start (liveness checks): no record, not a refusal. */
    readonly empty: number;
    readonly active: number;
    readonly waiting: number;
  };
}

const NO_INTAKE: IntakeStats = { accepted: 0, rejected: {} as IntakeStats['rejected'], active: 0, waiting: 0 };

export class Agent {
  readonly #options: AgentOptions;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #spool: Spool;
  readonly #dispatcher: Dispatcher;
  readonly #counters: PersistentCounters;
  readonly #metrics: AgentMetrics;
  readonly #registry: ClientRegistry;
  /** What the dispatcher reads: the clients and limiters of the plan in force. */
  #state: DispatcherState;
  #router: Router;
  #intake: () => IntakeStats = () => NO_INTAKE;
  /** The error code the spool last failed with, while it keeps failing; null when it takes records. */
  #spoolFailure: string | null = null;
  /** Records spooled, and deliveries made, since this start (for the status record's counters). */
  #acceptedTotal = 0;
  #deliveredTotal = 0;
  /** Settlements waiting for the end of this turn, to be journaled in one write. */
  #settling: Settlement[] = [];
  /** Re-routings reading their records back: stop() waits for them before closing the spool. */
  readonly #rerouting = new Set<Promise<void>>();

  private constructor(options: AgentOptions, spool: Spool, plan: RuntimePlan) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#spool = spool;
    this.#counters = new PersistentCounters({ root: options.root, logger: options.logger });
    this.#metrics = new AgentMetrics(this.#counters);
    this.#router = new Router(plan);
    this.#registry = new ClientRegistry({ createClient: options.createClient, logger: options.logger });
    this.#state = this.#registry.install(plan);
    this.#dispatcher = new Dispatcher({
      state: this.#state,
      onSettle: (settlement) => this.#onSettle(settlement),
      load: (entries) => this.#spool.read(entries),
      logger: options.logger,
      now: this.#now,
    });
  }

  /** Opens the spool, recovers what it holds and starts delivering it at once. */
  static async start(options: AgentOptions): Promise<Agent> {
    const { spool: settings } = options.policy;
    const { spool, recovery } = await Spool.open({
      dir: underRoot(options.root, settings.dir),
      durability: settings.durability,
      batchWindowMs: settings.batch_window,
      maxBytes: settings.max_size,
      logger: options.logger,
    });
    const agent = new Agent(options, spool, compilePolicy(options.policy));
    if (recovery.discardedBytes > 0) options.logger.warn({ bytes: recovery.discardedBytes }, 'skipped a torn spool tail left by a crash (those records were never acknowledged)');
    if (recovery.entries.length > 0) options.logger.info({ records: recovery.entries.length }, 'recovered records from the spool; delivering them now');
    if (recovery.unwritable) agent.#spoolFailed(recovery.unwritable);
    const gone: WithdrawnTarget[] = [];
    const allKnown = (entry: IndexEntry) => entry.routes.every((target) => target.to.every((destination) => agent.#state.destinations.has(destination)));
    for (const recovered of recovery.entries) {
      const { entry } = recovered;
      // The common case, without building sets of keys for every recovered record.
      if (recovered.complete && allKnown(entry)) {
        agent.#dispatcher.enqueue(entry);
        continue;
      }
      const pending = recovered.pending;
      const keep = new Set(pending);
      for (const key of pending) {
        const [route, destination] = key.split('\u0000') as [string, string];
        if (agent.#state.destinations.has(destination)) continue;
        keep.delete(key);
        gone.push({ entry, route, destination });
      }
      if (keep.size > 0) agent.#dispatcher.enqueue(entry, keep);
    }
    agent.#reroute(gone);
    return agent;
  }

  get plan(): RuntimePlan {
    return this.#router.plan;
  }

  get metrics(): AgentMetrics {
    return this.#metrics;
  }

  /** Where the intake's counters come from (the runtime wires its intake server in). */
  observeIntake(stats: () => IntakeStats): void {
    this.#intake = stats;
  }

  /** Counts a connection the intake refused (kept across restarts, shown in status and /metrics). */
  countRefusal(reason: string): void {
    this.#metrics.refusal(reason);
  }

  /**
   * Takes one record from intake. The record is routed and written to the spool before this
   * returns (so a crash from then on loses nothing); the promise resolves once it is durable, or
   * at once when it was refused, with the reason.
   */
  accept(record: TelemetryRecord): Promise<AcceptResult> {
    const id = randomId();
    const decision = this.#router.decide(record);
    if (decision.kind === 'rejected') {
      this.#journal({ id, ...journalFields(record), outcome: 'rejected', reason: decision.reason });
      return Promise.resolve({ status: 'rejected', id, reason: decision.reason });
    }
    if (decision.kind === 'unrouted') {
      this.#journal({ id, ...journalFields(record), outcome: 'dropped', reason: 'no_route' });
      return Promise.resolve({ status: 'dropped', id, reason: 'no_route' });
    }
    const entry: SpoolEntry = {
      id,
      acceptedAt: this.#now(),
      record: decision.record,
      routes: decision.routes.map((route) => ({ route: route.name, to: route.to })),
      revision: this.plan.revision,
    };
    let durable: Promise<IndexEntry>;
    try {
      durable = this.#spool.append(entry);
    } catch (error) {
      const reason = error instanceof SpoolFullError ? 'spool_full' : 'spool_unwritable';
      if (reason === 'spool_unwritable') this.#spoolFailed(error);
      this.#journal({ id, ...journalFields(record), outcome: 'dropped', reason });
      return Promise.resolve({ status: 'dropped', id, reason });
    }
    this.#spoolWritable();
    this.#acceptedTotal += 1;
    for (const route of decision.routes) this.#metrics.accepted.add({ route: route.name });
    // No destination sees a record before it is synced.
    return durable.then((indexed) => {
      // A reload while the record was being synced may have removed one of its destinations.
      const gone: WithdrawnTarget[] = [];
      const keep = new Set<string>();
      for (const target of indexed.routes) {
        for (const destination of target.to) {
          if (this.#state.destinations.has(destination)) keep.add(targetKey(target.route, destination));
          else gone.push({ entry: indexed, route: target.route, destination });
        }
      }
      if (gone.length === 0) this.#dispatcher.enqueue(indexed);
      else {
        if (keep.size > 0) this.#dispatcher.enqueue(indexed, keep);
        this.#reroute(gone);
      }
      return { status: 'spooled', id, routes: entry.routes.map((target) => target.route) };
    });
  }

  /** Swaps in a new policy for new records; spooled records keep their routing, or are re-routed when their destination is gone. */
  reload(policy: ResolvedPolicy): void {
    const plan = compilePolicy(policy);
    this.#router = new Router(plan);
    this.#state = this.#registry.install(plan);
    this.#dispatcher.install(this.#state);
    this.#reroute(this.#dispatcher.withdraw((destination) => !this.#state.destinations.has(destination)));
    this.#dispatcher.poke();
    this.#options.logger.info({ policy: plan.policyName, revision: plan.revision }, 'policy reloaded');
  }

  status(): AgentStatus {
    const { policy } = this.plan;
    const intake = this.#intake();
    return {
      pid: process.pid,
      startedAt: new Date(this.#startedAt).toISOString(),
      policy: { name: policy.metadata.name, revision: policy.metadata.revision, source: policy.source },
      spool: { dir: this.#spoolDir, records: this.#spool.liveRecords, bytes: this.#spool.liveBytes, maxBytes: policy.spool.max_size },
      backlog: this.#dispatcher.backlog(),
      destinations: this.#dispatcher.health(),
      drops: this.#metrics.dropLedger(),
      intake: { accepted: intake.accepted, refused: this.#metrics.refusals(), empty: intake.rejected.empty ?? 0, active: intake.active, waiting: intake.waiting },
    };
  }

  /**
   * Running totals the status record reports the change of: records spooled and deliveries made
   * since this start, drops by reason (kept across restarts), the spool's size, and whether the
   * spool takes records.
   */
  totals(): {
    readonly accepted: number;
    readonly delivered: number;
    /** Delivery requests that failed or were refused (each retry counts). */
    readonly failed: number;
    readonly dropped: Readonly<Record<string, number>>;
    readonly spoolBytes: number;
    readonly spoolFailing: boolean;
  } {
    return {
      accepted: this.#acceptedTotal,
      delivered: this.#deliveredTotal,
      failed: this.#dispatcher.failedRequests,
      dropped: this.#metrics.dropLedger(),
      spoolBytes: this.#spool.liveBytes,
      spoolFailing: this.#spoolFailure !== null,
    };
  }

  renderMetrics(): string {
    return this.#metrics.render({
      spoolBytes: this.#spool.liveBytes,
      spoolRecords: this.#spool.liveRecords,
      backlog: this.#dispatcher.backlog(),
      destinations: this.#dispatcher.health(),
      intakeAccepted: this.#intake().accepted,
    });
  }

  /** Finishes deliveries in flight, then closes the spool, clients and journal. Undelivered records stay spooled. */
  async stop(): Promise<void> {
    await this.#dispatcher.stop();
    while (this.#rerouting.size > 0) await Promise.allSettled([...this.#rerouting]);
    await this.#spool.close();
    await this.#registry.close();
    await this.#options.journal.close();
    this.#counters.close();
  }

  get #spoolDir(): string {
    return underRoot(this.#options.root, this.#options.policy.spool.dir);
  }

  /** A full or read-only filesystem is logged once per kind of failure, not once per dropped record (the journal counts those). */
  #spoolFailed(error: unknown): void {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (this.#spoolFailure === code) return;
    this.#spoolFailure = code;
    this.#options.logger.error({ err: error, dir: this.#spoolDir }, 'cannot write to the spool; dropping records until it can be written again');
  }

  #spoolWritable(): void {
    if (this.#spoolFailure === null) return;
    this.#spoolFailure = null;
    this.#options.logger.info({ dir: this.#spoolDir }, 'the spool can be written again');
  }

  /**
   * Records waiting for destinations the policy no longer has. A renamed destination (the same
   * collector called `main` instead of `central`) must not lose its backlog: such records are
   * spooled again under the current policy's routes, to the destinations they have not been to,
   * and the old targets are settled as `rerouted` once the new entry is durable. When the current
   * routes offer nothing new, the destination is really gone: its records stay until they expire.
   */
  #reroute(gone: readonly WithdrawnTarget[]): void {
    if (gone.length === 0) return;
    const byEntry = new Map<string, { entry: IndexEntry; targets: WithdrawnTarget[] }>();
    for (const target of gone) {
      const group = byEntry.get(target.entry.id) ?? { entry: target.entry, targets: [] };
      group.targets.push(target);
      byEntry.set(target.entry.id, group);
    }
    const kept = new Map<string, number>();
    const stay = (entry: IndexEntry, targets: readonly WithdrawnTarget[]) => {
      for (const target of targets) kept.set(target.destination, (kept.get(target.destination) ?? 0) + 1);
      this.#dispatcher.enqueue(entry, new Set(targets.map((target) => targetKey(target.route, target.destination))));
    };
    const moving: { entry: IndexEntry; targets: WithdrawnTarget[]; routes: RouteTargets[] }[] = [];
    for (const { entry, targets } of byEntry.values()) {
      const routes = this.#freshRoutes(entry);
      if (routes.length === 0) stay(entry, targets);
      else moving.push({ entry, targets, routes });
    }
    for (const [destination, records] of kept) {
      this.#options.logger.warn(
        { destination, records, expiry: this.plan.policy.spool.expiry },
        'records are spooled for a destination no longer in the policy, and no current route sends them elsewhere: they are kept until they expire (or the destination comes back)',
      );
    }
    if (moving.length === 0) return;
    // The new entries need the records, which are on disk: read back, then spooled again.
    const work = this.#spool.read(moving.map((move) => move.entry)).then(
      (read) => this.#spoolAgain(moving, read, stay),
      (error: unknown) => {
        this.#spoolFailed(error);
        for (const move of moving) stay(move.entry, move.targets);
      },
    );
    this.#rerouting.add(work);
    void work.finally(() => this.#rerouting.delete(work));
  }

  /** Appends each moved record under its new routes; the old targets are settled as `rerouted` once the new entry is durable. */
  #spoolAgain(
    moving: readonly { entry: IndexEntry; targets: WithdrawnTarget[]; routes: RouteTargets[] }[],
    read: readonly ReadBack[],
    stay: (entry: IndexEntry, targets: readonly WithdrawnTarget[]) => void,
  ): void {
    const moved = new Map<string, { to: Set<string>; records: number }>();
    for (const [index, { entry, targets, routes }] of moving.entries()) {
      const result = read[index] as ReadBack;
      if (!result.ok) {
        for (const target of targets)
          this.#onSettle({ entry, route: target.route, destination: target.destination, outcome: 'dropped', reason: result.reason, latencyMs: this.#now() - entry.acceptedAt });
        continue;
      }
      const rerouted: SpoolEntry = { id: randomId(), acceptedAt: entry.acceptedAt, record: result.record, routes, revision: this.plan.revision };
      let durable: Promise<IndexEntry>;
      try {
        durable = this.#spool.append(rerouted, { ignoreQuota: true });
      } catch (error) {
        this.#spoolFailed(error);
        stay(entry, targets);
        continue;
      }
      for (const target of targets) {
        const summary = moved.get(target.destination) ?? { to: new Set<string>(), records: 0 };
        summary.records += 1;
        for (const route of routes) for (const destination of route.to) summary.to.add(destination);
        moved.set(target.destination, summary);
      }
      void durable.then((indexed) => {
        for (const target of targets) this.#spool.settle({ entry, route: target.route, destination: target.destination, outcome: 'rerouted' });
        this.#dispatcher.enqueue(indexed);
      });
    }
    for (const [destination, summary] of moved) {
      this.#options.logger.info(
        { destination, to: [...summary.to], records: summary.records },
        'records spooled for a destination no longer in the policy were re-routed through the current routes',
      );
    }
  }

  /** The current routes of a spooled record, limited to destinations it has not been sent to or queued for. */
  #freshRoutes(entry: IndexEntry): RouteTargets[] {
    const known = new Set(entry.routes.flatMap((target) => target.to));
    const routes: RouteTargets[] = [];
    for (const route of this.#router.routesFor(entry.classification, entry.severity)) {
      const to = route.to.filter((destination) => !known.has(destination));
      for (const destination of to) known.add(destination);
      if (to.length > 0) routes.push({ route: route.name, to });
    }
    return routes;
  }

  /** Settlements of one turn (a batch's receipts) are journaled and settled together. */
  #onSettle(settlement: Settlement): void {
    if (this.#settling.push(settlement) === 1) queueMicrotask(() => this.#settleAll());
  }

  #settleAll(): void {
    const settlements = this.#settling;
    this.#settling = [];
    // The journal first: a crash between the two leaves the records unsettled, so they are sent again (a
    // telem collector answers duplicate) instead of settled with no journal line saying what became of them.
    this.#options.journal.appendAllNow(
      settlements.map((settlement) => ({
        entry: this.#journalEntry({
          id: settlement.entry.id,
          classification: settlement.entry.classification,
          eventId: settlement.entry.eventId,
          outcome: settlement.outcome,
          reason: settlement.reason,
          route: settlement.route,
          destination: settlement.destination,
          revision: settlement.entry.revision,
        }),
        payload: settlement.outcome === 'delivered' ? settlement.record?.payload : undefined,
      })),
    );
    for (const settlement of settlements) {
      this.#spool.settle({ entry: settlement.entry, route: settlement.route, destination: settlement.destination, outcome: settlement.outcome });
      this.#metrics.settled.add({ route: settlement.route, destination: settlement.destination, outcome: settlement.outcome });
      if (settlement.outcome === 'delivered') {
        this.#deliveredTotal += 1;
        this.#metrics.observeLatency(settlement.destination, settlement.latencyMs);
      }
    }
  }

  /** An outcome decided at intake, before the probe's connection closes: written before accept returns. */
  #journal(options: { id: string; classification: string; eventId: string; outcome: JournalOutcome; reason: string | null }): void {
    this.#options.journal.appendNow(this.#journalEntry(options));
  }

  #journalEntry(options: {
    id: string;
    classification: string;
    eventId: string;
    outcome: JournalOutcome;
    reason: string | null;
    route?: string;
    destination?: string;
    revision?: number;
  }): JournalEntry {
    if (options.outcome !== 'delivered' && options.reason) this.#metrics.drop(options.reason);
    return {
      recordId: options.id,
      time: this.#now(),
      classification: options.classification,
      eventId: options.eventId,
      bootId: this.#options.bootId,
      outcome: options.outcome,
      reason: options.reason,
      route: options.route ?? null,
      destination: options.destination ?? null,
      policyRevision: options.revision ?? this.plan.revision,
    };
  }
}

function journalFields(record: TelemetryRecord): { classification: string; eventId: string } {
  return { classification: record.headers.classification, eventId: record.headers.event_id };
}
