/**
 * The agent runtime compiled from a policy: accept (collection, redaction, routing) → spool
 * (durable before the record counts as accepted) → dispatcher (limits, delivery, retries) →
 * settlement (spool ack, journal, metrics). A reload swaps the plan for new records; records
 * already spooled keep the routing they were accepted with.
 */
import type { ResolvedDestination, ResolvedPolicy } from '../../schemas/resolved.js';
import { compilePolicy } from '../compile/compile.js';
import type { CompiledPlan } from '../compile/plan.js';
import type { DestinationClient } from '../deliver/destination.js';
import type { JournalEntry, JournalOutcome } from '../journal/entry.js';
import { type RateLimiter, createLimiter } from '../limit/limiter.js';
import type { Logger } from '../log/logger.js';
import { underRoot } from '../paths/root.js';
import { randomId } from '../record/classification.js';
import type { TelemetryRecord } from '../record/fields.js';
import { Router } from '../route/router.js';
import type { SpoolEntry } from '../spool/entry.js';
import { Spool, SpoolFullError } from '../spool/spool.js';
import { Dispatcher, type Settlement } from './dispatcher.js';
import { AgentMetrics } from './metrics.js';

export type ClientFactory = (config: ResolvedDestination) => DestinationClient;

/** Where the agent writes record outcomes (the journal stage implements it). */
export interface JournalWriter {
  append(entry: JournalEntry, payload?: Buffer): void;
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
  | { readonly status: 'spooled'; readonly id: string; readonly routes: readonly string[] }
  | { readonly status: 'rejected' | 'dropped'; readonly id: string; readonly reason: string };

export interface AgentStatus {
  readonly policy: { readonly name: string; readonly revision: number; readonly source: string | null };
  readonly spool: { readonly records: number; readonly bytes: number; readonly maxBytes: number | null };
  readonly backlog: Readonly<Record<string, number>>;
  readonly drops: Readonly<Record<string, number>>;
}

interface ClientSlot {
  readonly key: string;
  readonly client: DestinationClient;
  readonly concurrency: number;
}

function concurrencyOf(config: ResolvedDestination): number {
  return config.type === 'http' ? config.concurrency : 1;
}

export class Agent {
  readonly #options: AgentOptions;
  readonly #now: () => number;
  readonly #spool: Spool;
  readonly #dispatcher: Dispatcher;
  readonly #metrics = new AgentMetrics();
  readonly #clients = new Map<string, ClientSlot>();
  readonly #limiters = new Map<string, { key: string; limiter: RateLimiter; whenExceeded: 'spool' | 'drop' }>();
  readonly #retired: DestinationClient[] = [];
  #router: Router;
  /** The error code the spool last failed with, while it keeps failing; null when it takes records. */
  #spoolFailure: string | null = null;

  private constructor(options: AgentOptions, spool: Spool, plan: CompiledPlan) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#spool = spool;
    this.#router = new Router(plan);
    this.#installPlan(plan);
    this.#dispatcher = new Dispatcher({
      client: (name) => this.#clients.get(name),
      limiter: (route) => this.#limiters.get(route) ?? null,
      retry: () => this.#router.plan.policy.spool.retry,
      expiryMs: () => this.#router.plan.policy.spool.expiry,
      onSettle: (settlement) => this.#onSettle(settlement),
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
    for (const { entry, pending } of recovery.entries) agent.#dispatcher.enqueue(entry, new Set(pending));
    return agent;
  }

  get plan(): CompiledPlan {
    return this.#router.plan;
  }

  get metrics(): AgentMetrics {
    return this.#metrics;
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
      this.#journal({ id, record, outcome: 'rejected', reason: decision.reason });
      return Promise.resolve({ status: 'rejected', id, reason: decision.reason });
    }
    if (decision.kind === 'unrouted') {
      this.#journal({ id, record, outcome: 'dropped', reason: 'no_route' });
      return Promise.resolve({ status: 'dropped', id, reason: 'no_route' });
    }
    const entry: SpoolEntry = {
      id,
      acceptedAt: this.#now(),
      record: decision.record,
      routes: decision.routes.map((route) => ({ route: route.name, to: route.to })),
      revision: this.plan.revision,
    };
    let durable: Promise<void>;
    try {
      durable = this.#spool.append(entry);
    } catch (error) {
      const reason = error instanceof SpoolFullError ? 'spool_full' : 'spool_unwritable';
      if (reason === 'spool_unwritable') this.#spoolFailed(error);
      this.#journal({ id, record, outcome: 'dropped', reason });
      return Promise.resolve({ status: 'dropped', id, reason });
    }
    if (this.#spoolFailure !== null) {
      this.#spoolFailure = null;
      this.#options.logger.info({ dir: this.#spoolDir }, 'the spool can be written again');
    }
    for (const route of decision.routes) this.#metrics.accepted.add({ route: route.name });
    // No destination sees a record before it is synced.
    return durable.then(() => {
      this.#dispatcher.enqueue(entry);
      return { status: 'spooled', id, routes: entry.routes.map((target) => target.route) };
    });
  }

  /** Swaps in a new policy for new records; spooled records keep their routing. */
  reload(policy: ResolvedPolicy): void {
    const plan = compilePolicy(policy);
    this.#router = new Router(plan);
    this.#installPlan(plan);
    this.#dispatcher.poke();
    this.#options.logger.info({ policy: plan.policyName, revision: plan.revision }, 'policy reloaded');
  }

  status(): AgentStatus {
    const { policy } = this.plan;
    return {
      policy: { name: policy.metadata.name, revision: policy.metadata.revision, source: policy.source },
      spool: { records: this.#spool.liveRecords, bytes: this.#spool.liveBytes, maxBytes: policy.spool.max_size },
      backlog: this.#dispatcher.backlog(),
      drops: this.#metrics.dropLedger(),
    };
  }

  renderMetrics(): string {
    return this.#metrics.render({ spoolBytes: this.#spool.liveBytes, spoolRecords: this.#spool.liveRecords, backlog: this.#dispatcher.backlog() });
  }

  /** Finishes deliveries in flight, then closes the spool, clients and journal. Undelivered records stay spooled. */
  async stop(): Promise<void> {
    await this.#dispatcher.stop();
    await this.#spool.close();
    await Promise.all([...this.#clients.values()].map((slot) => slot.client.close()));
    await Promise.all(this.#retired.map((client) => client.close()));
    await this.#options.journal.close();
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

  #installPlan(plan: CompiledPlan): void {
    for (const [name, config] of Object.entries(plan.destinations)) {
      const key = JSON.stringify(config);
      const existing = this.#clients.get(name);
      if (existing?.key === key) continue;
      if (existing) this.#retired.push(existing.client);
      this.#clients.set(name, { key, client: this.#options.createClient(config), concurrency: concurrencyOf(config) });
    }
    // Destinations removed from the policy keep their client: records spooled for them still go out.
    for (const route of plan.routes) {
      if (!route.limiter) {
        this.#limiters.delete(route.name);
        continue;
      }
      const key = JSON.stringify(route.limiter);
      if (this.#limiters.get(route.name)?.key === key) continue;
      this.#limiters.set(route.name, { key, limiter: createLimiter(route.limiter), whenExceeded: route.limiter.whenExceeded });
    }
  }

  #onSettle(settlement: Settlement): void {
    this.#spool.settle({ id: settlement.entry.id, route: settlement.route, destination: settlement.destination, outcome: settlement.outcome });
    this.#metrics.settled.add({ route: settlement.route, destination: settlement.destination, outcome: settlement.outcome });
    if (settlement.outcome === 'delivered') this.#metrics.observeLatency(settlement.destination, settlement.latencyMs);
    this.#journal({
      id: settlement.entry.id,
      record: settlement.entry.record,
      outcome: settlement.outcome,
      reason: settlement.reason,
      route: settlement.route,
      destination: settlement.destination,
      revision: settlement.entry.revision,
    });
  }

  #journal(options: { id: string; record: TelemetryRecord; outcome: JournalOutcome; reason: string | null; route?: string; destination?: string; revision?: number }): void {
    if (options.outcome !== 'delivered' && options.reason) this.#metrics.drop(options.reason);
    const entry: JournalEntry = {
      recordId: options.id,
      time: this.#now(),
      classification: options.record.headers.classification,
      eventId: options.record.headers.event_id,
      bootId: this.#options.bootId,
      outcome: options.outcome,
      reason: options.reason,
      route: options.route ?? null,
      destination: options.destination ?? null,
      policyRevision: options.revision ?? this.plan.revision,
    };
    this.#options.journal.append(entry, options.outcome === 'delivered' ? options.record.payload : undefined);
  }
}
