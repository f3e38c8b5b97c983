/**
 * What the agent keeps in memory of a spooled record: only what scheduling, settlement and the
 * journal need, never the record itself (a large backlog must not live in the heap). The record is
 * read back from its segment when it is sent (spool.read); just accepted ones keep it in memory
 * until then, within a small bound (the spool's hot records).
 */
import type { RouteTargets } from './entry.js';
import type { IndexFields, RecordIndex } from './record-index.js';
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

/** What a settled record's reference keeps of its slot, which may hold another record by now. */
interface Released extends IndexEntry {
  readonly segment: Segment;
  readonly offset: number;
  readonly size: number;
}

/**
 * The spool's reference to a record of its index (record-index.ts): one small object, its fields
 * read from the index's columns. Once the record is settled and its slot given back, the reference
 * keeps a copy of what it named, so a settlement being journaled still reads its own record.
 */
export class SpooledRecord implements IndexEntry {
  #slot: number;
  #released: Released | null = null;

  constructor(
    readonly index: RecordIndex,
    fields: IndexFields,
    /** The pending "route\u0000destination" keys; all of the routes' targets when absent. */
    pending?: readonly string[],
  ) {
    this.#slot = index.add(fields, pending);
  }

  get id(): string {
    return this.#released?.id ?? this.index.id(this.#slot);
  }
  get acceptedAt(): number {
    return this.#released?.acceptedAt ?? this.index.acceptedAt(this.#slot);
  }
  get routes(): readonly RouteTargets[] {
    return this.#released?.routes ?? this.index.routes(this.#slot);
  }
  get revision(): number {
    return this.#released?.revision ?? this.index.revision(this.#slot);
  }
  get classification(): string {
    return this.#released?.classification ?? this.index.classification(this.#slot);
  }
  get severity(): number {
    return this.#released?.severity ?? this.index.severity(this.#slot);
  }
  get eventId(): string {
    return this.#released?.eventId ?? this.index.eventId(this.#slot);
  }
  get payloadBytes(): number {
    return this.#released?.payloadBytes ?? this.index.payloadBytes(this.#slot);
  }
  get segment(): Segment {
    return this.#released?.segment ?? this.index.segment(this.#slot);
  }
  get offset(): number {
    return this.#released?.offset ?? this.index.offset(this.#slot);
  }
  get size(): number {
    return this.#released?.size ?? this.index.size(this.#slot);
  }

  get settled(): boolean {
    return this.#released !== null || this.index.settled(this.#slot);
  }

  /** Marks one target settled; false when it was not pending. */
  settle(route: string, destination: string): boolean {
    return this.#released === null && this.index.settle(this.#slot, route, destination);
  }

  /** The "route\u0000destination" keys not settled yet, in the order of `routes`. */
  pendingKeys(): string[] {
    return this.#released === null ? this.index.pendingKeys(this.#slot) : [];
  }

  /** Gives the slot back to the index, keeping a copy of the record's fields. */
  release(): void {
    if (this.#released !== null) return;
    const { id, acceptedAt, routes, revision, classification, severity, eventId, payloadBytes, segment, offset, size } = this;
    this.#released = { id, acceptedAt, routes, revision, classification, severity, eventId, payloadBytes, segment, offset, size };
    this.index.release(this.#slot);
    this.#slot = -1;
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
