/**
 * What the agent keeps in memory of a spooled record: only what scheduling, settlement and the
 * journal need, never the record itself (a large backlog must not live in the heap). The record is
 * read back from its segment when it is sent (spool.read); just accepted ones keep it in memory
 * until then, within a small bound (see hot-records.ts).
 *
 * One object per record with a fixed shape (a class, so V8 keeps the fields in the object):
 * classification and routes are interned (a fleet has a few of each), the rest are small integers.
 */
import type { TelemetryRecord } from '../record/fields.js';
import { type RouteTargets, targetKey } from './entry.js';
import type { Segment } from './segment.js';

export interface IndexEntry {
  /** 32 lowercase hex: this record's id in this agent's spool and journal. */
  readonly id: string;
  readonly acceptedAt: number;
  /** The routing decision taken at acceptance; it survives policy reloads and restarts. */
  readonly routes: readonly RouteTargets[];
  readonly revision: number;
  /** Kept for re-routing at a reload and for the journal, which must not need a read to settle. */
  readonly classification: string;
  readonly severity: number;
  readonly eventId: string;
  /** For rate limits' byte accounting and batch sizes. */
  readonly payloadBytes: number;
}

/** A record has at most this many (route, destination) targets as bits of one small integer; more take a Set. */
const MAX_BITS = 30;

export function targetCount(routes: readonly RouteTargets[]): number {
  let count = 0;
  for (const target of routes) count += target.to.length;
  return count;
}

/** The spool's own entry: where the frame is, and which of its targets are still pending. */
export class SpooledRecord implements IndexEntry {
  /** The record while it is in the bounded set of just accepted ones, else null (read it back). */
  hot: TelemetryRecord | null = null;
  /**
   * Bit i set: the i-th (route, destination) of `routes`, flattened, is not settled yet. A Set of
   * "route\u0000destination" keys instead for records with more targets than bits (rare).
   */
  #pending: number | Set<string>;

  constructor(
    readonly id: string,
    readonly acceptedAt: number,
    readonly routes: readonly RouteTargets[],
    readonly revision: number,
    readonly classification: string,
    readonly severity: number,
    readonly eventId: string,
    readonly payloadBytes: number,
    readonly segment: Segment,
    readonly offset: number,
    readonly size: number,
    /** The pending "route\u0000destination" keys; all of the routes' targets when absent. */
    pending?: readonly string[],
  ) {
    const count = targetCount(routes);
    if (count > MAX_BITS) {
      this.#pending = new Set(pending ?? routes.flatMap((target) => target.to.map((name) => targetKey(target.route, name))));
      return;
    }
    if (pending === undefined) {
      this.#pending = 2 ** count - 1;
      return;
    }
    const wanted = new Set(pending);
    let bits = 0;
    let index = 0;
    for (const target of routes) {
      for (const name of target.to) {
        if (wanted.has(targetKey(target.route, name))) bits |= 1 << index;
        index += 1;
      }
    }
    this.#pending = bits;
  }

  get settled(): boolean {
    return typeof this.#pending === 'number' ? this.#pending === 0 : this.#pending.size === 0;
  }

  /** Marks one target settled; false when it was not pending. */
  settle(route: string, destination: string): boolean {
    if (typeof this.#pending !== 'number') return this.#pending.delete(targetKey(route, destination));
    let index = 0;
    for (const target of this.routes) {
      for (const name of target.to) {
        if (target.route === route && name === destination) {
          const bit = 1 << index;
          if ((this.#pending & bit) === 0) return false;
          this.#pending &= ~bit;
          return true;
        }
        index += 1;
      }
    }
    return false;
  }

  /** The "route\u0000destination" keys not settled yet, in the order of `routes`. */
  pendingKeys(): string[] {
    if (typeof this.#pending !== 'number') return [...this.#pending];
    const keys: string[] = [];
    let index = 0;
    for (const target of this.routes) {
      for (const name of target.to) {
        if ((this.#pending & (1 << index)) !== 0) keys.push(targetKey(target.route, name));
        index += 1;
      }
    }
    return keys;
  }
}

/**
 * Shares equal strings and route lists between entries: 200,000 records of a few classifications
 * and routings hold a few copies, not 200,000. Bounded, so random classifications cannot grow it.
 */
export class Interner {
  readonly #strings = new Map<string, string>();
  readonly #routes = new Map<string, readonly RouteTargets[]>();
  static readonly #LIMIT = 10_000;

  string(value: string): string {
    const known = this.#strings.get(value);
    if (known !== undefined) return known;
    const own = ownString(value);
    if (this.#strings.size < Interner.#LIMIT) this.#strings.set(own, own);
    return own;
  }

  routes(routes: readonly RouteTargets[]): readonly RouteTargets[] {
    // Length-prefixed, so no two routings share a key whatever their names hold (cheaper than JSON.stringify per record).
    let key = '';
    for (const target of routes) {
      key += `${target.route.length}:${target.route}${target.to.length}`;
      for (const name of target.to) key += `:${name.length}:${name}`;
    }
    const known = this.#routes.get(key);
    if (known !== undefined) return known;
    const frozen = Object.freeze(routes.map((target) => Object.freeze({ route: target.route, to: Object.freeze([...target.to]) })));
    if (this.#routes.size < Interner.#LIMIT) this.#routes.set(key, frozen);
    return frozen;
  }
}

/**
 * A copy of a string that shares no memory with where it came from. Header values are cut out of
 * the record's whole header text, and V8 keeps such a slice as a view of its parent: an event id
 * kept in the index would keep the record's ~450 bytes of headers alive with it.
 */
export function ownString(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}
