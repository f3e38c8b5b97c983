/**
 * The spool's index of unsettled records as columns of typed arrays, one slot a record: a backlog
 * of 200,000 records costs about 75 bytes each here instead of an object, two id strings and a map
 * entry (about 300). Ids and event ids are 16 bytes of binary, not 32-character strings; times,
 * sizes and the pending targets are numbers in typed arrays; classification, routes and segment are
 * numbers of values shared by many records. A slot is reused once its record settles.
 */
import { type RouteTargets, targetKey } from './entry.js';
import type { IndexEntry } from './index-entry.js';
import { SharedValues, ownString } from './shared-values.js';
import type { Segment } from './segment.js';

/** A record has at most this many (route, destination) targets as bits of one byte; more (rare) take a Set. */
const MAX_BITS = 8;
/** Other revisions (above this: a policy numbered by epoch milliseconds, say) are kept aside. */
const MAX_SMALL_REVISION = 0xffff_ffff;
const INITIAL_SLOTS = 1024;
const HEX_ID = /^[0-9a-f]{32}$/;

/** A record's index entry and where its frame is. */
export interface IndexFields extends IndexEntry {
  readonly segment: Segment;
  readonly offset: number;
  readonly size: number;
}

export function targetCount(routes: readonly RouteTargets[]): number {
  let count = 0;
  for (const target of routes) count += target.to.length;
  return count;
}

export class RecordIndex {
  #capacity = 0;
  #used = 0;
  readonly #free: number[] = [];
  #ids = new Uint8Array(0);
  #eventIds = new Uint8Array(0);
  #acceptedAt = new Float64Array(0);
  #revision = new Uint32Array(0);
  /** 1–4 (the intake and recovery check it). */
  #severity = new Uint8Array(0);
  #payloadBytes = new Uint32Array(0);
  #offset = new Uint32Array(0);
  #size = new Uint32Array(0);
  #pending = new Uint8Array(0);
  /** Numbers of values in the tables below: 4 bytes a record instead of an 8-byte pointer. */
  #routes = new Uint32Array(0);
  #classification = new Uint32Array(0);
  #segment = new Uint32Array(0);
  readonly #routeLists = new SharedValues<readonly RouteTargets[], string>({ key: routesKey, own: frozenRoutes });
  readonly #classifications = new SharedValues<string>({ key: (value) => value, own: ownString });
  readonly #segments = new SharedValues<Segment>({ key: (value) => value, own: (value) => value });
  /** Event ids that are not 32 lowercase hex characters (a probe may choose its own), by slot. */
  readonly #oddEventIds = new Map<number, string>();
  readonly #largeRevisions = new Map<number, number>();
  /** Pending targets of records with more of them than MAX_BITS, by slot. */
  readonly #widePending = new Map<number, Set<string>>();

  /** Slots in use. */
  get live(): number {
    return this.#used - this.#free.length;
  }

  /** `pending`: the "route\u0000destination" keys still to settle; all of the routes' targets when absent. */
  add(fields: IndexFields, pending?: readonly string[]): number {
    // Spool ids are made here (random hex) or checked at recovery: anything else is a bug, not data.
    if (!HEX_ID.test(fields.id)) throw new Error(`not a spool record id: ${JSON.stringify(fields.id)}`);
    if (!Number.isInteger(fields.severity) || fields.severity < 0 || fields.severity > 255) throw new Error(`not a record severity: ${fields.severity}`);
    const slot = this.#free.pop() ?? this.#grow();
    writeHex(this.#ids, slot, fields.id);
    if (HEX_ID.test(fields.eventId)) writeHex(this.#eventIds, slot, fields.eventId);
    else this.#oddEventIds.set(slot, ownString(fields.eventId));
    this.#acceptedAt[slot] = fields.acceptedAt;
    if (Number.isInteger(fields.revision) && fields.revision >= 0 && fields.revision <= MAX_SMALL_REVISION) this.#revision[slot] = fields.revision;
    else this.#largeRevisions.set(slot, fields.revision);
    this.#severity[slot] = fields.severity;
    this.#payloadBytes[slot] = fields.payloadBytes;
    this.#offset[slot] = fields.offset;
    this.#size[slot] = fields.size;
    this.#routes[slot] = this.#routeLists.take(fields.routes);
    this.#classification[slot] = this.#classifications.take(fields.classification);
    this.#segment[slot] = this.#segments.take(fields.segment);
    this.#setPending(slot, fields.routes, pending);
    return slot;
  }

  /** Gives the slot back; what was in it must not be read again. */
  release(slot: number): void {
    this.#oddEventIds.delete(slot);
    this.#largeRevisions.delete(slot);
    this.#widePending.delete(slot);
    this.#routeLists.drop(this.#routes[slot] as number);
    this.#classifications.drop(this.#classification[slot] as number);
    this.#segments.drop(this.#segment[slot] as number);
    this.#free.push(slot);
  }

  id(slot: number): string {
    return readHex(this.#ids, slot);
  }

  eventId(slot: number): string {
    return this.#oddEventIds.get(slot) ?? readHex(this.#eventIds, slot);
  }

  acceptedAt(slot: number): number {
    return this.#acceptedAt[slot] as number;
  }

  revision(slot: number): number {
    return this.#largeRevisions.get(slot) ?? (this.#revision[slot] as number);
  }

  severity(slot: number): number {
    return this.#severity[slot] as number;
  }

  payloadBytes(slot: number): number {
    return this.#payloadBytes[slot] as number;
  }

  offset(slot: number): number {
    return this.#offset[slot] as number;
  }

  size(slot: number): number {
    return this.#size[slot] as number;
  }

  routes(slot: number): readonly RouteTargets[] {
    return this.#routeLists.value(this.#routes[slot] as number);
  }

  classification(slot: number): string {
    return this.#classifications.value(this.#classification[slot] as number);
  }

  segment(slot: number): Segment {
    return this.#segments.value(this.#segment[slot] as number);
  }

  settled(slot: number): boolean {
    const wide = this.#widePending.get(slot);
    return wide === undefined ? this.#pending[slot] === 0 : wide.size === 0;
  }

  /** Marks one target settled; false when it was not pending. */
  settle(slot: number, route: string, destination: string): boolean {
    const wide = this.#widePending.get(slot);
    if (wide !== undefined) return wide.delete(targetKey(route, destination));
    let index = 0;
    for (const target of this.routes(slot)) {
      for (const name of target.to) {
        if (target.route === route && name === destination) {
          const bit = 1 << index;
          const bits = this.#pending[slot] as number;
          if ((bits & bit) === 0) return false;
          this.#pending[slot] = bits & ~bit;
          return true;
        }
        index += 1;
      }
    }
    return false;
  }

  /** The "route\u0000destination" keys not settled yet, in the order of the routes. */
  pendingKeys(slot: number): string[] {
    const wide = this.#widePending.get(slot);
    if (wide !== undefined) return [...wide];
    const bits = this.#pending[slot] as number;
    const keys: string[] = [];
    let index = 0;
    for (const target of this.routes(slot)) {
      for (const name of target.to) {
        if ((bits & (1 << index)) !== 0) keys.push(targetKey(target.route, name));
        index += 1;
      }
    }
    return keys;
  }

  #setPending(slot: number, routes: readonly RouteTargets[], pending: readonly string[] | undefined): void {
    const count = targetCount(routes);
    if (count > MAX_BITS) {
      this.#widePending.set(slot, new Set(pending ?? routes.flatMap((target) => target.to.map((name) => targetKey(target.route, name)))));
      return;
    }
    if (pending === undefined) {
      this.#pending[slot] = 2 ** count - 1;
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
    this.#pending[slot] = bits;
  }

  /** A new slot at the end, doubling the columns when they are full. */
  #grow(): number {
    if (this.#used === this.#capacity) {
      // Doubling while small, then by half: a large backlog does not pay for twice its size.
      const capacity = Math.max(INITIAL_SLOTS, this.#capacity < 65_536 ? this.#capacity * 2 : Math.ceil(this.#capacity * 1.5));
      this.#ids = grown(this.#ids, capacity * 16);
      this.#eventIds = grown(this.#eventIds, capacity * 16);
      this.#acceptedAt = grown(this.#acceptedAt, capacity);
      this.#revision = grown(this.#revision, capacity);
      this.#severity = grown(this.#severity, capacity);
      this.#payloadBytes = grown(this.#payloadBytes, capacity);
      this.#offset = grown(this.#offset, capacity);
      this.#size = grown(this.#size, capacity);
      this.#pending = grown(this.#pending, capacity);
      this.#routes = grown(this.#routes, capacity);
      this.#classification = grown(this.#classification, capacity);
      this.#segment = grown(this.#segment, capacity);
      this.#capacity = capacity;
    }
    const slot = this.#used;
    this.#used += 1;
    return slot;
  }
}

/** Length-prefixed, so no two routings share a key whatever their names hold (cheaper than JSON.stringify per record). */
function routesKey(routes: readonly RouteTargets[]): string {
  let key = '';
  for (const target of routes) {
    key += `${target.route.length}:${target.route}${target.to.length}`;
    for (const name of target.to) key += `:${name.length}:${name}`;
  }
  return key;
}

function frozenRoutes(routes: readonly RouteTargets[]): readonly RouteTargets[] {
  return Object.freeze(routes.map((target) => Object.freeze({ route: target.route, to: Object.freeze([...target.to]) })));
}

function grown<T extends Uint8Array | Uint32Array | Float64Array>(column: T, length: number): T {
  const next = new (column.constructor as new (length: number) => T)(length);
  next.set(column);
  return next;
}

function writeHex(column: Uint8Array, slot: number, hex: string): void {
  Buffer.from(column.buffer, column.byteOffset + slot * 16, 16).write(hex, 'hex');
}

function readHex(column: Uint8Array, slot: number): string {
  return Buffer.from(column.buffer, column.byteOffset + slot * 16, 16).toString('hex');
}
