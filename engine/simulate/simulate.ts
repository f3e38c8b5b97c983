/**
 * Replays records through a policy without sending anything: the agent's own compiled router
 * (collection, redaction, routes) and limiters, and the dispatcher's admission decision, on a
 * virtual clock that each record's creation time drives. Every destination is taken to accept
 * every request, so what differs from the agent is only what the network and the disk would do
 * (failed deliveries, a full spool).
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { compilePolicy } from '../compile/compile.js';
import { type RouteLimit, admit } from '../limit/admission.js';
import { createLimiter } from '../limit/limiter.js';
import type { TelemetryRecord } from '../record/fields.js';
import { type Decision, Router } from '../route/router.js';

export interface SimulatedRecord {
  readonly record: TelemetryRecord;
  /** When the agent takes it, ms since the epoch (the record's creation time). */
  readonly at: number;
}

export interface SimulationRow {
  readonly route: string;
  readonly destination: string;
  delivered: number;
  /** Delivered after waiting for the rate limit (when_exceeded: spool); counted in delivered too. */
  deferred: number;
  /** Waited in the spool past its expiry. */
  expired: number;
  dropped: Record<string, number>;
  /** Payload bytes delivered, after redaction. */
  bytes: number;
}

export interface SimulationResult {
  readonly format_version: 1;
  readonly policy: { readonly name: string; readonly revision: number };
  readonly records: number;
  readonly results: readonly SimulationRow[];
  /** Records no route took: rejected by collection (denied, not_allowed, below_min_severity, payload_too_large) or no_route. */
  readonly unrouted: Readonly<Record<string, number>>;
}

/** What became of one record at one route × destination (route and destination null when no route took it). */
export interface RecordSettlement {
  /** Which record: its position in the order of add() calls, from 0. */
  readonly index: number;
  readonly route: string | null;
  readonly destination: string | null;
  /** deferred: delivered after waiting for the rate limit. */
  readonly outcome: 'delivered' | 'deferred' | 'expired' | 'dropped' | 'rejected';
  /** Why, for dropped and rejected: the journal's reason. */
  readonly reason: string | null;
  /** Virtual time of the outcome. */
  readonly at: number;
}

export interface SimulationOptions {
  /** Told every outcome (those of routed records during finish()), for callers that need each record's fate (`telem test`), not only the counts. */
  readonly onSettled?: (settlement: RecordSettlement) => void;
}

interface Waiting {
  readonly index: number;
  readonly bytes: number;
  readonly at: number;
  readonly to: readonly string[];
  readonly classification: string;
  deferred: boolean;
}

/** A routed record, kept small: routing does not depend on time, so it is decided as records are read and only this waits for the clock. */
interface Arrival {
  readonly at: number;
  /** Its position in the order of add() calls. */
  readonly index: number;
  readonly bytes: number;
  readonly classification: string;
  readonly routes: readonly { readonly name: string; readonly to: readonly string[] }[];
}

interface RouteQueue {
  readonly name: string;
  readonly items: Waiting[];
  head: number;
  /** When the record at the head may be tried again; null when nothing waits. */
  until: number | null;
}

export class Simulation {
  readonly #policy: ResolvedPolicy;
  readonly #router: Router;
  readonly #limits: Map<string, RouteLimit | null>;
  readonly #queues = new Map<string, RouteQueue>();
  readonly #rows = new Map<string, SimulationRow>();
  readonly #unrouted: Record<string, number> = {};
  readonly #arrivals: Arrival[] = [];
  /** Records delivered to each destination, by classification: what leaves, for comparing two policies. */
  readonly #leaving = new Map<string, Map<string, number>>();
  readonly #onSettled: ((settlement: RecordSettlement) => void) | undefined;
  #records = 0;

  constructor(policy: ResolvedPolicy, options: SimulationOptions = {}) {
    const plan = compilePolicy(policy);
    this.#policy = policy;
    this.#onSettled = options.onSettled;
    this.#router = new Router(plan);
    this.#limits = new Map(plan.routes.map((route) => [route.name, route.limiter ? routeLimit(route.limiter) : null]));
    for (const route of plan.routes) {
      this.#queues.set(route.name, { name: route.name, items: [], head: 0, until: null });
      for (const destination of route.to) this.#row(route.name, destination);
    }
  }

  #row(route: string, destination: string): SimulationRow {
    const key = `${route}\u0000${destination}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { route, destination, delivered: 0, deferred: 0, expired: 0, dropped: {}, bytes: 0 };
      this.#rows.set(key, row);
    }
    return row;
  }

  /** Takes a record, in any order (the clock runs in order of `at`, ties in the order given, at finish), and returns the router's decision. */
  add(input: SimulatedRecord): Decision {
    const index = this.#records;
    this.#records += 1;
    const decision = this.#router.decide(input.record);
    if (decision.kind !== 'routed') {
      const reason = decision.kind === 'rejected' ? decision.reason : 'no_route';
      this.#unrouted[reason] = (this.#unrouted[reason] ?? 0) + 1;
      this.#onSettled?.({ index, route: null, destination: null, outcome: decision.kind === 'rejected' ? 'rejected' : 'dropped', reason, at: input.at });
      return decision;
    }
    const { classification } = input.record.headers;
    this.#arrivals.push({ at: input.at, index, bytes: decision.record.payload.length, classification, routes: decision.routes.map((route) => ({ name: route.name, to: route.to })) });
    return decision;
  }

  /** Runs the clock over every record, then on until each waiting one is delivered, dropped or expired, and returns the counts. */
  finish(): SimulationResult {
    this.#arrivals.sort((a, b) => a.at - b.at || a.index - b.index);
    for (const arrival of this.#arrivals) {
      this.#advance(arrival.at);
      for (const route of arrival.routes) {
        const queue = this.#queues.get(route.name) as RouteQueue;
        queue.items.push({ index: arrival.index, bytes: arrival.bytes, at: arrival.at, to: route.to, classification: arrival.classification, deferred: false });
        if (queue.until === null) this.#pump(queue, arrival.at);
      }
    }
    this.#arrivals.length = 0;
    this.#advance(Infinity);
    return {
      format_version: 1,
      policy: { name: this.#policy.metadata.name, revision: this.#policy.metadata.revision },
      records: this.#records,
      results: [...this.#rows.values()],
      unrouted: { ...this.#unrouted },
    };
  }

  /** After finish: records delivered to each destination, by classification. */
  leaving(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.#leaving;
  }

  /** Tries every waiting route whose time has come before `until`, earliest first, as the dispatcher's timers would. */
  #advance(until: number): void {
    for (;;) {
      let next: RouteQueue | null = null;
      for (const queue of this.#queues.values()) if (queue.until !== null && queue.until <= until && (next === null || queue.until < (next.until as number))) next = queue;
      if (next === null) return;
      this.#pump(next, next.until as number);
    }
  }

  #pump(queue: RouteQueue, now: number): void {
    queue.until = null;
    const limit = this.#limits.get(queue.name);
    while (queue.head < queue.items.length) {
      const item = queue.items[queue.head] as Waiting;
      const verdict = admit(limit, { bytes: item.bytes, acceptedAt: item.at, expiryMs: this.#policy.spool.expiry }, now);
      if (verdict.verdict === 'wait') {
        item.deferred = true;
        queue.until = verdict.until;
        return;
      }
      queue.head += 1;
      // Held behind the head of the queue counts as waiting too, though only the head was told to wait.
      const deferred = item.deferred || now > item.at;
      for (const destination of item.to) {
        const row = this.#row(queue.name, destination);
        if (verdict.verdict === 'admit') {
          row.delivered += 1;
          row.bytes += item.bytes;
          const classes = this.#leaving.get(destination) ?? new Map<string, number>();
          classes.set(item.classification, (classes.get(item.classification) ?? 0) + 1);
          this.#leaving.set(destination, classes);
          if (deferred) row.deferred += 1;
        } else if (verdict.verdict === 'expire') row.expired += 1;
        else row.dropped[verdict.reason] = (row.dropped[verdict.reason] ?? 0) + 1;
        if (this.#onSettled) {
          const outcome = verdict.verdict === 'admit' ? (deferred ? 'deferred' : 'delivered') : verdict.verdict === 'expire' ? 'expired' : 'dropped';
          this.#onSettled({ index: item.index, route: queue.name, destination, outcome, reason: verdict.verdict === 'drop' ? verdict.reason : null, at: now });
        }
      }
    }
    queue.items.length = 0;
    queue.head = 0;
  }
}

function routeLimit(settings: Parameters<typeof createLimiter>[0]): RouteLimit {
  return { limiter: createLimiter(settings), whenExceeded: settings.whenExceeded };
}

/** Simulates a whole list of records, taken in order of time (ties keep their order). */
export function simulate(policy: ResolvedPolicy, records: Iterable<SimulatedRecord>): SimulationResult {
  const simulation = new Simulation(policy);
  for (const record of records) simulation.add(record);
  return simulation.finish();
}
