/**
 * Moves spooled records to their destinations: per route, admission through the rate limiter
 * (spool → wait for the window, drop → settle as dropped); per destination, oldest first, at
 * most `concurrency` in flight, exponential backoff after failed rounds. Every (record, route,
 * destination) ends in exactly one settlement, reported through `onSettle`.
 *
 * A record the destination refuses (a 4xx: a wrong tenant id or URL path is a mistake an operator
 * fixes once) is held back and retried on its own backoff until it expires, unless the destination
 * says `on_reject: drop`; other records go on meanwhile. A destination that is not in the policy
 * (removed, or renamed before the agent re-routed its records) keeps its records until they expire.
 *
 * The queues hold index entries, not records: a request loads its records (`load`, from the spool)
 * just before it is sent and lets go of them once it is answered, so a backlog costs the heap an
 * index entry per record. A record that cannot be read back intact is dropped (`spool_corrupt`).
 */
import type { DeliveryResult, DestinationClient } from '../deliver/destination.js';
import type { JournalOutcome } from '../journal/entry.js';
import { type RouteLimit, admit } from '../limit/admission.js';
import type { Logger } from '../log/logger.js';
import type { TelemetryRecord } from '../record/fields.js';
import type { IndexEntry } from '../spool/index-entry.js';
import type { ReadBack } from '../spool/read-back.js';
import { type LongTimeout, setLongTimeout } from '../time/long-timeout.js';
import { type RetrySettings, backoffDelay } from './backoff.js';
import { type DestinationHealth, DestinationHealthTracker } from './destination-health.js';
import { OrderedQueue, SequencedFifo } from './queue.js';

export interface Settlement {
  readonly entry: IndexEntry;
  /** The record as sent, for a delivered one (the journal may keep its payload). */
  readonly record?: TelemetryRecord;
  readonly route: string;
  readonly destination: string;
  readonly outcome: JournalOutcome;
  readonly reason: string | null;
  /** Time from acceptance to settlement, ms. */
  readonly latencyMs: number;
}

/** How a batching destination (`protocol: telem`) groups records into requests. */
export interface BatchLimits {
  readonly maxRecords: number;
  /** Estimated body bytes; the client splits exactly. */
  readonly maxBytes: number;
  /** How long the oldest queued record waits for others when a batch is not full. */
  readonly lingerMs: number;
}

export interface DestinationTarget {
  readonly client: DestinationClient;
  /** Requests in flight at once (a batch is one request). */
  readonly concurrency: number;
  /** Null: one record per request. */
  readonly batch: BatchLimits | null;
  /** What a 4xx answer does to a record: hold it back and retry until it expires, or drop it. */
  readonly onReject: 'retry' | 'drop';
}

/** What the policy in force gives the dispatcher; the agent installs a new one on reload. */
export interface DispatcherState {
  /** A destination missing here is not in the policy (its records wait until they expire). */
  readonly destinations: ReadonlyMap<string, DestinationTarget>;
  /** Routes without a limit are missing. */
  readonly limiters: ReadonlyMap<string, RouteLimit>;
  readonly retry: RetrySettings;
  readonly expiryMs: number;
}

export interface DispatcherOptions {
  readonly state: DispatcherState;
  readonly onSettle: (settlement: Settlement) => void;
  /** Reads records back for sending, in the order given (Spool.read). */
  readonly load: (entries: readonly IndexEntry[]) => Promise<ReadBack[]>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * A record waiting on a route for some of its destinations only (recovered half settled, or after a
 * withdrawal). A record waiting for all of them is queued as itself: a backlog held by a rate
 * limit costs no object per record.
 */
class PartialAdmission {
  constructor(
    readonly entry: IndexEntry,
    readonly destinations: readonly string[],
  ) {}
}

type Admission = IndexEntry | PartialAdmission;

const entryOf = (admission: Admission): IndexEntry => (admission instanceof PartialAdmission ? admission.entry : admission);

function destinationsOf(admission: Admission, route: string): readonly string[] {
  if (admission instanceof PartialAdmission) return admission.destinations;
  return admission.routes.find((target) => target.route === route)?.to ?? [];
}

interface Delivery {
  readonly seq: number;
  readonly entry: IndexEntry;
  readonly route: string;
  readonly destination: string;
  /** The destination's failure round when this request was sent. */
  round: number;
  /** 4xx answers this record got so far. */
  rejections: number;
  /** When a held-back record may be tried again. */
  retryAt: number;
  /** When it first joined the destination's queue: a batch's linger counts from here. */
  readonly queuedAt: number;
  /** Sent at least once: it does not linger again. */
  tried: boolean;
}

interface DestinationState {
  readonly queue: OrderedQueue<Delivery>;
  /** Refused records waiting for their own retry time. */
  held: Delivery[];
  /** Records in flight. */
  inFlight: number;
  /** Requests in flight (as many as records, unless the destination batches). */
  requests: number;
  /** `timer` waits for a batch to fill: more records may end the wait early. */
  lingering: boolean;
  /** Consecutive failed rounds (not requests: concurrent requests failing together are one round). */
  failures: number;
  round: number;
  backoffUntil: number;
  timer: LongTimeout | null;
  heldTimer: LongTimeout | null;
  /** When the held timer fires: the earliest retryAt among the held. */
  heldDue: number;
  lastRefusalStatus: number | null;
  readonly health: DestinationHealthTracker;
}

interface RouteState {
  readonly queue: SequencedFifo<Admission>;
  timer: LongTimeout | null;
}

type Unreadable = Extract<ReadBack, { ok: false }>;

/** A (record, route, destination) taken out of the queues: see `withdraw`. */
export interface WithdrawnTarget {
  readonly entry: IndexEntry;
  readonly route: string;
  readonly destination: string;
}

export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  #state: DispatcherState;
  readonly #routes = new Map<string, RouteState>();
  readonly #destinations = new Map<string, DestinationState>();
  readonly #inFlight = new Set<Promise<void>>();
  #seq = 0;
  #stopped = false;
  /** Delivery requests that did not deliver (failed or refused), since the agent started: a rollout's gates read it. */
  #failedRequests = 0;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#state = options.state;
  }

  /** Delivery requests that failed or were refused since the dispatcher started. */
  get failedRequests(): number {
    return this.#failedRequests;
  }

  /**
   * Replaces the state read from now on; `poke` then re-examines what waits under the old one.
   * A destination whose client was replaced (its settings changed, e.g. a rollback to the bundle
   * before) starts without the old one's backoff: its failures said nothing about the new settings.
   */
  install(state: DispatcherState): void {
    const before = this.#state;
    this.#state = state;
    for (const [name, destination] of this.#destinations) {
      const target = state.destinations.get(name);
      if (target === undefined || target === before.destinations.get(name)) continue;
      destination.failures = 0;
      destination.backoffUntil = 0;
      destination.lastRefusalStatus = null;
      for (const delivery of destination.held) destination.queue.push({ ...delivery, retryAt: 0 });
      destination.held = [];
      destination.heldTimer?.clear();
      destination.heldTimer = null;
    }
  }

  /** Queues a spooled record; `pending` limits it to the route/destination pairs not yet settled. */
  enqueue(entry: IndexEntry, pending?: ReadonlySet<string>): void {
    const seq = (this.#seq += 1);
    for (const target of entry.routes) {
      const destinations = pending ? target.to.filter((destination) => pending.has(`${target.route}\u0000${destination}`)) : target.to;
      if (destinations.length === 0) continue;
      this.#route(target.route).queue.push(seq, destinations.length === target.to.length ? entry : new PartialAdmission(entry, destinations));
      this.#pumpRoute(target.route);
    }
  }

  /** Records waiting, held back or in flight, per destination. */
  backlog(): Record<string, number> {
    const backlog: Record<string, number> = {};
    for (const [name, state] of this.#destinations) backlog[name] = state.queue.length + state.held.length + state.inFlight;
    return backlog;
  }

  /** Health of every destination seen so far. */
  health(): Record<string, DestinationHealth> {
    const health: Record<string, DestinationHealth> = {};
    for (const [name, state] of this.#destinations) {
      health[name] = state.health.snapshot({
        queued: state.queue.length,
        held: state.held.length,
        inFlight: state.inFlight,
        nextRetryAt: this.#nextRetryAt(state),
        known: this.#state.destinations.has(name),
      });
    }
    return health;
  }

  #nextRetryAt(state: DestinationState): number | null {
    const backoff = state.backoffUntil > this.#now() && state.queue.length > 0 ? state.backoffUntil : null;
    const held = state.held.length > 0 ? state.heldDue : null;
    if (backoff === null) return held;
    return held === null ? backoff : Math.min(backoff, held);
  }

  /** Re-examines every queue, e.g. after a policy reload changed limits or clients. */
  poke(): void {
    // Waits computed under the old plan (a limiter's window, a destination that was missing) are recomputed.
    for (const [route, state] of this.#routes) {
      state.timer?.clear();
      state.timer = null;
      this.#pumpRoute(route);
    }
    for (const [destination, state] of this.#destinations) {
      state.timer?.clear();
      state.timer = null;
      this.#pumpDestination(destination);
    }
  }

  /**
   * Takes every waiting (record, route, destination) whose destination matches out of the queues,
   * for the agent to re-route; deliveries in flight finish where they are.
   */
  withdraw(matches: (destination: string) => boolean): WithdrawnTarget[] {
    const taken: WithdrawnTarget[] = [];
    for (const [route, state] of this.#routes) {
      state.queue.rewrite((admission) => {
        const destinations = destinationsOf(admission, route);
        const gone = destinations.filter(matches);
        if (gone.length === 0) return admission;
        const entry = entryOf(admission);
        for (const destination of gone) taken.push({ entry, route, destination });
        const staying = destinations.filter((destination) => !matches(destination));
        return staying.length === 0 ? null : new PartialAdmission(entry, staying);
      });
    }
    for (const [name, state] of this.#destinations) {
      if (!matches(name)) continue;
      for (const delivery of [...state.queue, ...state.held]) taken.push({ entry: delivery.entry, route: delivery.route, destination: name });
      state.queue.remove(() => true);
      state.held = [];
      state.heldTimer?.clear();
      state.heldTimer = null;
    }
    return taken;
  }

  /** Stops starting deliveries and waits for those in flight to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const state of this.#routes.values()) state.timer?.clear();
    for (const state of this.#destinations.values()) {
      state.timer?.clear();
      state.heldTimer?.clear();
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #route(name: string): RouteState {
    let state = this.#routes.get(name);
    if (!state) this.#routes.set(name, (state = { queue: new SequencedFifo(), timer: null }));
    return state;
  }

  #destination(name: string): DestinationState {
    let state = this.#destinations.get(name);
    if (!state) {
      state = {
        queue: new OrderedQueue(),
        held: [],
        inFlight: 0,
        requests: 0,
        lingering: false,
        failures: 0,
        round: 0,
        backoffUntil: 0,
        timer: null,
        heldTimer: null,
        heldDue: 0,
        lastRefusalStatus: null,
        health: new DestinationHealthTracker(),
      };
      this.#destinations.set(name, state);
    }
    return state;
  }

  #expiresAt(entry: IndexEntry): number {
    return entry.acceptedAt + this.#state.expiryMs;
  }

  #expired(entry: IndexEntry, now: number): boolean {
    return now > this.#expiresAt(entry);
  }

  #settle(delivery: Pick<Delivery, 'entry' | 'route' | 'destination'>, outcome: JournalOutcome, reason: string | null, record?: TelemetryRecord): void {
    const settlement: Settlement = {
      entry: delivery.entry,
      route: delivery.route,
      destination: delivery.destination,
      outcome,
      reason,
      latencyMs: this.#now() - delivery.entry.acceptedAt,
      ...(record === undefined ? {} : { record }),
    };
    try {
      this.#options.onSettle(settlement);
    } catch (error) {
      this.#options.logger.error({ err: error, id: delivery.entry.id }, 'could not record a settlement');
    }
  }

  #track(promise: Promise<void>): void {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
  }

  #pumpRoute(name: string): void {
    const state = this.#route(name);
    if (this.#stopped || state.timer) return;
    const limit = this.#state.limiters.get(name);
    for (let admission = state.queue.peek(); admission; admission = state.queue.peek()) {
      const now = this.#now();
      const entry = entryOf(admission);
      // The decision telem simulate makes too (limit/admission.ts), so a simulation counts what this does.
      const decided = admit(limit, { bytes: entry.payloadBytes, acceptedAt: entry.acceptedAt, expiryMs: this.#state.expiryMs }, now);
      if (decided.verdict === 'wait') {
        state.timer = setLongTimeout(
          () => {
            state.timer = null;
            this.#pumpRoute(name);
          },
          Math.max(1, decided.until - now),
        );
        return;
      }
      const seq = state.queue.peekSeq();
      state.queue.shift();
      for (const destination of destinationsOf(admission, name)) {
        const delivery = { entry, route: name, destination };
        if (decided.verdict === 'expire') this.#settle(delivery, 'expired', 'expired');
        else if (decided.verdict === 'drop') this.#settle(delivery, 'dropped', decided.reason);
        else {
          this.#destination(destination).queue.push({ seq, ...delivery, round: 0, rejections: 0, retryAt: 0, queuedAt: now, tried: false });
          this.#pumpDestination(destination);
        }
      }
    }
  }

  #pumpDestination(name: string): void {
    const state = this.#destination(name);
    if (this.#stopped) return;
    if (state.timer) {
      // A batch waiting to fill goes as soon as it is full; every other wait runs its course.
      if (!state.lingering) return;
      state.timer.clear();
      state.timer = null;
      state.lingering = false;
    }
    const target = this.#state.destinations.get(name);
    while (state.queue.length > 0) {
      const now = this.#now();
      const head = state.queue.peek() as Delivery;
      if (this.#expired(head.entry, now)) {
        state.queue.shift();
        this.#settle(head, 'expired', 'expired');
        continue;
      }
      if (!target) {
        // Not in the policy: kept (a reload may bring it back) until the oldest record expires.
        this.#wakeAt(state, name, this.#expiresAt(head.entry) + 1);
        return;
      }
      if (now < state.backoffUntil) {
        this.#wakeAt(state, name, state.backoffUntil);
        return;
      }
      if (state.requests >= target.concurrency) return;
      const { batch } = target;
      const deliverBatch = target.client.deliverBatch?.bind(target.client);
      if (batch === null || deliverBatch === undefined) {
        state.queue.shift();
        this.#send(state, [head]);
        this.#track(this.#request(state, [head], target.onReject, async ([record]) => [await target.client.deliver(record as TelemetryRecord)]));
        continue;
      }
      const lingerUntil = head.queuedAt + batch.lingerMs;
      if (!head.tried && now < lingerUntil && !this.#batchFull(state, batch)) {
        this.#wakeAt(state, name, lingerUntil, true);
        return;
      }
      const taken = this.#takeBatch(state, batch, now);
      if (taken.length === 0) continue;
      this.#send(state, taken);
      this.#track(this.#request(state, taken, target.onReject, (records) => deliverBatch(records.map((record, index) => ({ id: (taken[index] as Delivery).entry.id, record })))));
    }
  }

  /** What one record adds to a batch body, roughly: its payload and the JSON of its fields. */
  static #estimatedBytes(delivery: Delivery): number {
    return delivery.entry.payloadBytes + 512;
  }

  /** Enough is queued for a full batch (by count or by bytes). */
  #batchFull(state: DestinationState, batch: BatchLimits): boolean {
    if (state.queue.length >= batch.maxRecords) return true;
    let bytes = 0;
    for (const delivery of state.queue) {
      bytes += Dispatcher.#estimatedBytes(delivery);
      if (bytes >= batch.maxBytes) return true;
    }
    return false;
  }

  /** The oldest queued records that fit one batch (at least one); expired ones met on the way are settled. */
  #takeBatch(state: DestinationState, batch: BatchLimits, now: number): Delivery[] {
    const taken: Delivery[] = [];
    let bytes = 0;
    while (taken.length < batch.maxRecords && state.queue.length > 0) {
      const next = state.queue.peek() as Delivery;
      if (this.#expired(next.entry, now)) {
        state.queue.shift();
        this.#settle(next, 'expired', 'expired');
        continue;
      }
      const size = Dispatcher.#estimatedBytes(next);
      if (taken.length > 0 && bytes + size > batch.maxBytes) break;
      state.queue.shift();
      taken.push(next);
      bytes += size;
    }
    return taken;
  }

  #send(state: DestinationState, deliveries: readonly Delivery[]): void {
    state.requests += 1;
    state.inFlight += deliveries.length;
    for (const delivery of deliveries) {
      delivery.round = state.round;
      delivery.tried = true;
      state.health.sent();
    }
  }

  /**
   * One request: loads its records from the spool, sends those read back intact (`send` gets them
   * in order, one result each), settles the unreadable ones as dropped, and the others by their own
   * result (a failed request gives all the same one), then sends what waits. The records are let go
   * of when this returns: a retry reads them again.
   */
  async #request(state: DestinationState, deliveries: readonly Delivery[], onReject: 'retry' | 'drop', send: (records: TelemetryRecord[]) => Promise<DeliveryResult[]>): Promise<void> {
    const answered: (DeliveryResult | Unreadable | undefined)[] = [];
    const loaded: (TelemetryRecord | undefined)[] = [];
    try {
      const read = await this.#options.load(deliveries.map((delivery) => delivery.entry));
      const sent: number[] = [];
      for (const [index, result] of read.entries()) {
        if (result.ok) {
          loaded[index] = result.record;
          sent.push(index);
        } else {
          answered[index] = result;
        }
      }
      const results = sent.length === 0 ? [] : await send(sent.map((index) => loaded[index] as TelemetryRecord));
      for (const [position, index] of sent.entries()) answered[index] = results[position];
    } catch (error) {
      for (const index of deliveries.keys()) answered[index] ??= { outcome: 'retry', reason: (error as Error).message };
    }
    state.requests -= 1;
    state.inFlight -= deliveries.length;
    const retried: Delivery[] = [];
    for (const [index, delivery] of deliveries.entries()) {
      const result = answered[index] ?? { outcome: 'retry', reason: 'no_result' };
      if ('ok' in result) this.#unreadable(delivery, result);
      else if (this.#finish(state, delivery, result, onReject, loaded[index])) retried.push(delivery);
    }
    state.queue.pushAll(retried);
    this.#pumpDestination(deliveries[0]?.destination ?? '');
  }

  /** A record whose frame is damaged on disk can never be sent: dropped with the reason, counted and journaled. */
  #unreadable(delivery: Delivery, result: Unreadable): void {
    this.#options.logger.error({ destination: delivery.destination, id: delivery.entry.id, reason: result.reason }, 'a spooled record cannot be read back intact; it is dropped');
    this.#settle(delivery, 'dropped', result.reason);
  }

  /** `lingering`: the wait is for a batch to fill, and ends early when it does. */
  #wakeAt(state: DestinationState, name: string, at: number, lingering = false): void {
    state.lingering = lingering;
    state.timer = setLongTimeout(
      () => {
        state.timer = null;
        state.lingering = false;
        this.#pumpDestination(name);
      },
      Math.max(1, at - this.#now()),
    );
  }

  /** Applies one record's result; true when it goes back in line to be sent again. */
  #finish(state: DestinationState, delivery: Delivery, result: DeliveryResult, onReject: 'retry' | 'drop', record: TelemetryRecord | undefined): boolean {
    const now = this.#now();
    if (result.outcome === 'delivered') {
      state.failures = 0;
      state.health.delivered(now);
      // A duplicate is delivered: the collector kept it from an earlier try of the same batch.
      this.#settle(delivery, 'delivered', result.duplicate === true ? 'duplicate' : null, record);
      return false;
    }
    this.#failedRequests += 1;
    if (result.outcome === 'rejected') {
      state.health.rejected(now, result);
      // Only an answer from the destination can be a mistake fixed there; a record that cannot be sent at all, or that a batch receipt refused, never will be.
      if (onReject === 'drop' || result.status === undefined) {
        this.#options.logger.warn({ destination: delivery.destination, id: delivery.entry.id, reason: result.reason }, 'destination rejected a record; it is dropped');
        this.#settle(delivery, 'rejected', result.reason);
      } else {
        this.#hold(state, delivery, result, now);
      }
      return false;
    }
    // Requests of one round fail together: count the round once, not once per request in flight.
    if (delivery.round === state.round) {
      state.failures += 1;
      state.round += 1;
      const wait = result.retryAfterMs ?? backoffDelay(this.#state.retry, state.failures);
      state.backoffUntil = Math.max(state.backoffUntil, now + wait);
      this.#options.logger.warn({ destination: delivery.destination, reason: result.reason, retryInMs: wait, failures: state.failures }, 'delivery failed; will retry');
    }
    state.health.failed(now, result);
    return true;
  }

  /** A refused record waits on its own backoff, so the records behind it are not blocked. */
  #hold(state: DestinationState, delivery: Delivery, result: Extract<DeliveryResult, { outcome: 'rejected' }>, now: number): void {
    delivery.rejections += 1;
    const wait = backoffDelay(this.#state.retry, delivery.rejections);
    // Back in line at its expiry at the latest, to be expired there.
    delivery.retryAt = Math.min(now + wait, this.#expiresAt(delivery.entry) + 1);
    state.held.push(delivery);
    if (!state.heldTimer || delivery.retryAt < state.heldDue) this.#scheduleHeld(state, delivery.destination);
    // One warning when refusals start (or change), not one per record per retry: a wrong tenant id refuses them all.
    const first = state.held.length === 1 || state.lastRefusalStatus !== result.status;
    state.lastRefusalStatus = result.status ?? null;
    this.#options.logger[first ? 'warn' : 'debug'](
      {
        destination: delivery.destination,
        id: delivery.entry.id,
        status: result.status,
        reason: result.reason,
        answer: result.answer,
        retryInMs: delivery.retryAt - now,
        rejections: delivery.rejections,
      },
      'destination refused a record; keeping it and trying again later (on_reject: drop would drop it)',
    );
  }

  /** One timer per destination for its held records, set for the earliest of them. */
  #scheduleHeld(state: DestinationState, name: string): void {
    if (state.held.length === 0 || this.#stopped) return;
    let due = Number.POSITIVE_INFINITY;
    for (const delivery of state.held) due = Math.min(due, delivery.retryAt);
    if (state.heldTimer && state.heldDue <= due) return;
    state.heldTimer?.clear();
    state.heldDue = due;
    state.heldTimer = setLongTimeout(
      () => {
        state.heldTimer = null;
        const now = this.#now();
        const waiting: Delivery[] = [];
        for (const delivery of state.held) {
          if (delivery.retryAt <= now) state.queue.push(delivery);
          else waiting.push(delivery);
        }
        state.held = waiting;
        this.#scheduleHeld(state, name);
        this.#pumpDestination(name);
      },
      Math.max(1, due - this.#now()),
    );
  }
}
