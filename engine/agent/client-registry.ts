/**
 * The destination clients and route limiters of the plan in force. A reload keeps a client whose
 * destination settings did not change (its connections stay open) and a limiter whose settings did
 * not change (its window carries over); the rest are built anew. Each install yields the plain
 * state the dispatcher reads until the next one.
 */
import type { ResolvedDestination } from '../../schemas/resolved.js';
import type { RuntimePlan } from '../compile/runtime-plan.js';
import type { DestinationClient } from '../deliver/destination.js';
import type { RouteLimit } from '../limit/admission.js';
import { createLimiter } from '../limit/limiter.js';
import type { Logger } from '../log/logger.js';
import type { DestinationTarget, DispatcherState } from './dispatcher.js';

export type ClientFactory = (config: ResolvedDestination) => DestinationClient;

interface Keyed<T> {
  /** The settings it was built from, to tell whether a reload changed them. */
  readonly key: string;
  readonly value: T;
}

function targetOf(config: ResolvedDestination, client: DestinationClient): DestinationTarget {
  const http = config.type === 'http' ? config : null;
  const batch = http?.protocol === 'telem' ? http.batch : null;
  return {
    client,
    concurrency: http?.concurrency ?? 1,
    onReject: http?.on_reject ?? 'retry',
    batch: batch === null ? null : { maxRecords: batch.max_records, maxBytes: batch.max_bytes, lingerMs: batch.linger },
  };
}

export class ClientRegistry {
  readonly #createClient: ClientFactory;
  readonly #logger: Logger;
  readonly #clients = new Map<string, Keyed<DestinationTarget>>();
  readonly #limiters = new Map<string, Keyed<RouteLimit>>();
  /** Replaced or removed clients finishing their requests in flight. */
  readonly #retiring = new Set<Promise<void>>();

  constructor(options: { readonly createClient: ClientFactory; readonly logger: Logger }) {
    this.#createClient = options.createClient;
    this.#logger = options.logger;
  }

  /** Builds what the plan needs, reusing what did not change and retiring clients it no longer has. */
  install(plan: RuntimePlan): DispatcherState {
    for (const [name, config] of Object.entries(plan.destinations)) {
      const key = JSON.stringify(config);
      const existing = this.#clients.get(name);
      if (existing?.key === key) continue;
      if (existing) this.#retire(existing.value.client);
      this.#clients.set(name, { key, value: targetOf(config, this.#createClient(config)) });
    }
    for (const [name, slot] of this.#clients) {
      if (name in plan.destinations) continue;
      this.#clients.delete(name);
      this.#retire(slot.value.client);
    }
    for (const route of plan.routes) {
      if (!route.limiter) {
        this.#limiters.delete(route.name);
        continue;
      }
      const key = JSON.stringify(route.limiter);
      if (this.#limiters.get(route.name)?.key === key) continue;
      this.#limiters.set(route.name, { key, value: { limiter: createLimiter(route.limiter), whenExceeded: route.limiter.whenExceeded } });
    }
    return Object.freeze({
      destinations: new Map([...this.#clients].map(([name, slot]) => [name, slot.value])),
      limiters: new Map([...this.#limiters].map(([name, slot]) => [name, slot.value])),
      retry: plan.policy.spool.retry,
      expiryMs: plan.policy.spool.expiry,
    });
  }

  /** Closes every client, current and retiring. */
  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((slot) => slot.value.client.close()));
    while (this.#retiring.size > 0) await Promise.all([...this.#retiring]);
  }

  /** A replaced or removed client is closed once its requests in flight settle, so reloads do not accumulate clients. */
  #retire(client: DestinationClient): void {
    const closing: Promise<void> = client
      .close()
      .catch((error: Error) => this.#logger.warn({ err: error, destination: client.name }, 'could not close a retired destination client'))
      .finally(() => this.#retiring.delete(closing));
    this.#retiring.add(closing);
  }
}
