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

/**
 * The spool's reference to a record of its index (record-index.ts): one small object of one field,
 * its fields read from the index's columns (the index itself sits on the prototype of its own
 * subclass, `referencesTo`, not in every object). Once the record is settled and its slot given
 * back, the reference keeps a copy of what it named, so a settlement being journaled still reads
 * its own record.
 */
export abstract class SpooledRecord implements IndexEntry {
  /** The record's slot in the index while it is pending; a copy of its fields once released. */
  #at: number | IndexFields;

  abstract get index(): RecordIndex;

  /** `pending`: the "route\u0000destination" keys still to settle; all of the routes' targets when absent. */
  protected constructor(index: RecordIndex, fields: IndexFields, pending?: readonly string[]) {
    this.#at = index.add(fields, pending);
  }

  get id(): string {
    const at = this.#at;
    return typeof at === 'number' ? this.index.id(at) : at.id;
  }
  get acceptedAt(): number {
    const at = this.#at;
    return typeof at === 'number' ? this.index.acceptedAt(at) : at.acceptedAt;
  }
  get routes(): readonly RouteTargets[] {
    const at = this.#at;
    return typeof at === 'number' ? this.index.routes(at) : at.routes;
  }
  get revision(): number {
    const at = this.#at;
    return typeof at === 'number' ? this.index.revision(at) : at.revision;
  }
  get classification(): string {
    const at = this.#at;
    return typeof at === 'number' ? this.index.classification(at) : at.classification;
  }
  get severity(): number {
    const at = this.#at;
    return typeof at === 'number' ? this.index.severity(at) : at.severity;
  }
  get eventId(): string {
    const at = this.#at;
    return typeof at === 'number' ? this.index.eventId(at) : at.eventId;
  }
  get payloadBytes(): number {
    const at = this.#at;
    return typeof at === 'number' ? this.index.payloadBytes(at) : at.payloadBytes;
  }
  get segment(): Segment {
    const at = this.#at;
    return typeof at === 'number' ? this.index.segment(at) : at.segment;
  }
  get offset(): number {
    const at = this.#at;
    return typeof at === 'number' ? this.index.offset(at) : at.offset;
  }
  get size(): number {
    const at = this.#at;
    return typeof at === 'number' ? this.index.size(at) : at.size;
  }

  get settled(): boolean {
    const at = this.#at;
    return typeof at !== 'number' || this.index.settled(at);
  }

  /** Marks one target settled; false when it was not pending. */
  settle(route: string, destination: string): boolean {
    const at = this.#at;
    return typeof at === 'number' && this.index.settle(at, route, destination);
  }

  /** The "route\u0000destination" keys not settled yet, in the order of `routes`. */
  pendingKeys(): string[] {
    const at = this.#at;
    return typeof at === 'number' ? this.index.pendingKeys(at) : [];
  }

  /** Gives the slot back to the index, keeping a copy of the record's fields. */
  release(): void {
    const at = this.#at;
    if (typeof at !== 'number') return;
    const { id, acceptedAt, routes, revision, classification, severity, eventId, payloadBytes, segment, offset, size } = this;
    this.#at = { id, acceptedAt, routes, revision, classification, severity, eventId, payloadBytes, segment, offset, size };
    this.index.release(at);
  }
}

export type SpooledRecordClass = new (fields: IndexFields, pending?: readonly string[]) => SpooledRecord;

const referenceClasses = new WeakMap<RecordIndex, SpooledRecordClass>();

/** The class of references to records of one index, made once per index. */
export function referencesTo(index: RecordIndex): SpooledRecordClass {
  let made = referenceClasses.get(index);
  if (made === undefined) {
    // Named, so heap snapshots say what these objects are.
    made = class SpoolReference extends SpooledRecord {
      get index(): RecordIndex {
        return index;
      }
      constructor(fields: IndexFields, pending?: readonly string[]) {
        super(index, fields, pending);
      }
    };
    referenceClasses.set(index, made);
  }
  return made;
}
