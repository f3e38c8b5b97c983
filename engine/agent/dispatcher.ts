/**
 * Moves spooled records to their destinations: per route, admission through the rate limiter
 * (spool → wait for the window, drop → settle as dropped); per destination, oldest first, at
 * most `concurrency` in flight, exponential backoff after failures. Every (record, route,
 * destination) ends in exactly one settlement, reported through `onSettle`.
 */
import type { DeliveryResult, DestinationClient } from '../deliver/destination.js';
import type { RateLimiter } from '../limit/limiter.js';
import type { Logger } from '../log/logger.js';
import type { JournalOutcome } from '../journal/entry.js';
import type { SpoolEntry } from '../spool/entry.js';
import { type RetrySettings, backoffDelay } from './backoff.js';
import { OrderedQueue } from './queue.js';

export interface Settlement {
  readonly entry: SpoolEntry;
  readonly route: string;
  readonly destination: string;
  readonly outcome: JournalOutcome;
  readonly reason: string | null;
  /** Time from acceptance to settlement, ms. */
  readonly latencyMs: number;
}

export interface DispatcherOptions {
  /** The client for a destination name (the registry keeps retired ones until drained). */
  readonly client: (destination: string) => { client: DestinationClient; concurrency: number } | undefined;
  /** The limiter of a route, or null when it has none. */
  readonly limiter: (route: string) => { limiter: RateLimiter; whenExceeded: 'spool' | 'drop' } | null;
  readonly retry: () => RetrySettings;
  readonly expiryMs: () => number;
  readonly onSettle: (settlement: Settlement) => void;
  readonly logger: Logger;
  readonly now?: () => number;
}

interface Admission {
  readonly seq: number;
  readonly entry: SpoolEntry;
  readonly route: string;
  readonly destinations: string[];
}

interface Delivery {
  readonly seq: number;
  readonly entry: SpoolEntry;
  readonly route: string;
  readonly destination: string;
}

interface DestinationState {
  readonly queue: OrderedQueue<Delivery>;
  inFlight: number;
  failures: number;
  backoffUntil: number;
  timer: NodeJS.Timeout | null;
}

interface RouteState {
  readonly queue: OrderedQueue<Admission>;
  timer: NodeJS.Timeout | null;
}

export class Dispatcher {
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  readonly #routes = new Map<string, RouteState>();
  readonly #destinations = new Map<string, DestinationState>();
  readonly #inFlight = new Set<Promise<void>>();
  #seq = 0;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Queues a spooled record; `pending` limits it to the route/destination pairs not yet settled. */
  enqueue(entry: SpoolEntry, pending?: ReadonlySet<string>): void {
    const seq = (this.#seq += 1);
    for (const target of entry.routes) {
      const destinations = target.to.filter((destination) => !pending || pending.has(`${target.route}\u0000${destination}`));
      if (destinations.length === 0) continue;
      this.#route(target.route).queue.push({ seq, entry, route: target.route, destinations });
      this.#pumpRoute(target.route);
    }
  }

  /** Records waiting or in flight, per destination. */
  backlog(): Record<string, number> {
    const backlog: Record<string, number> = {};
    for (const [name, state] of this.#destinations) backlog[name] = state.queue.length + state.inFlight;
    return backlog;
  }

  /** Re-examines every queue, e.g. after a policy reload changed limits or clients. */
  poke(): void {
    for (const route of this.#routes.keys()) this.#pumpRoute(route);
    for (const destination of this.#destinations.keys()) this.#pumpDestination(destination);
  }

  /** Stops starting deliveries and waits for those in flight to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const state of [...this.#routes.values(), ...this.#destinations.values()]) if (state.timer) clearTimeout(state.timer);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #route(name: string): RouteState {
    let state = this.#routes.get(name);
    if (!state) this.#routes.set(name, (state = { queue: new OrderedQueue(), timer: null }));
    return state;
  }

  #destination(name: string): DestinationState {
    let state = this.#destinations.get(name);
    if (!state) this.#destinations.set(name, (state = { queue: new OrderedQueue(), inFlight: 0, failures: 0, backoffUntil: 0, timer: null }));
    return state;
  }

  #expired(entry: SpoolEntry, now: number): boolean {
    return now - entry.acceptedAt > this.#options.expiryMs();
  }

  #settle(delivery: Omit<Delivery, 'seq'>, outcome: JournalOutcome, reason: string | null): void {
    const settlement: Settlement = { ...delivery, outcome, reason, latencyMs: this.#now() - delivery.entry.acceptedAt };
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
    const limit = this.#options.limiter(name);
    for (let admission = state.queue.peek(); admission; admission = state.queue.peek()) {
      const now = this.#now();
      if (this.#expired(admission.entry, now)) {
        state.queue.shift();
        for (const destination of admission.destinations) this.#settle({ entry: admission.entry, route: name, destination }, 'expired', 'expired');
        continue;
      }
      if (limit) {
        const size = admission.entry.record.payload.length;
        const check = limit.limiter.check(size, now);
        if (!check.allowed) {
          if (check.never || limit.whenExceeded === 'drop') {
            state.queue.shift();
            const reason = check.never ? 'exceeds_byte_limit' : 'rate_limited';
            for (const destination of admission.destinations) this.#settle({ entry: admission.entry, route: name, destination }, 'dropped', reason);
            continue;
          }
          state.timer = setTimeout(() => {
            state.timer = null;
            this.#pumpRoute(name);
          }, Math.max(1, check.retryAt - now));
          return;
        }
        limit.limiter.consume(size, now);
      }
      state.queue.shift();
      for (const destination of admission.destinations) {
        this.#destination(destination).queue.push({ seq: admission.seq, entry: admission.entry, route: name, destination });
        this.#pumpDestination(destination);
      }
    }
  }

  #pumpDestination(name: string): void {
    const state = this.#destination(name);
    if (this.#stopped || state.timer) return;
    const target = this.#options.client(name);
    while (state.queue.length > 0) {
      const now = this.#now();
      if (now < state.backoffUntil) {
        state.timer = setTimeout(() => {
          state.timer = null;
          this.#pumpDestination(name);
        }, state.backoffUntil - now);
        return;
      }
      const head = state.queue.peek() as Delivery;
      if (this.#expired(head.entry, now)) {
        state.queue.shift();
        this.#settle(head, 'expired', 'expired');
        continue;
      }
      if (!target) {
        state.queue.shift();
        this.#settle(head, 'dropped', 'destination_removed');
        continue;
      }
      if (state.inFlight >= target.concurrency) return;
      state.queue.shift();
      state.inFlight += 1;
      this.#track(
        target.client
          .deliver(head.entry.record)
          .catch((error: Error): DeliveryResult => ({ outcome: 'retry', reason: error.message }))
          .then((result) => this.#finish(state, head, result)),
      );
    }
  }

  #finish(state: DestinationState, delivery: Delivery, result: DeliveryResult): void {
    state.inFlight -= 1;
    if (result.outcome === 'delivered') {
      state.failures = 0;
      this.#settle(delivery, 'delivered', null);
    } else if (result.outcome === 'rejected') {
      this.#options.logger.warn({ destination: delivery.destination, id: delivery.entry.id, reason: result.reason }, 'destination rejected a record; it will not be retried');
      this.#settle(delivery, 'rejected', result.reason);
    } else {
      state.failures += 1;
      const wait = result.retryAfterMs ?? backoffDelay(this.#options.retry(), state.failures);
      state.backoffUntil = Math.max(state.backoffUntil, this.#now() + wait);
      state.queue.push(delivery);
      this.#options.logger.warn({ destination: delivery.destination, reason: result.reason, retryInMs: wait, failures: state.failures }, 'delivery failed; will retry');
    }
    this.#pumpDestination(delivery.destination);
  }
}
