/**
 * Intake slots per peer uid, so that one local user cannot take every slot (a slow-trickle attack
 * on the socket). The intake asks `admit` before it starts reading a connection, with the uid the
 * kernel reported for it (engine/native/peer-cred.ts), and calls `release` once it is done; a
 * connection that is not admitted waits (engine/intake/wait-queue.ts).
 *
 * Connections whose credentials are not available (null) share one budget, as if one user.
 */

export interface PeerLimitsOptions {
  /** Connections one uid may have open (being read or waiting for a slot) at once. */
  readonly maxPerUid: number;
}

export interface PeerCount {
  /** Null: connections whose peer credentials were not available. */
  readonly uid: number | null;
  readonly open: number;
}

export class PeerLimits {
  readonly maxPerUid: number;
  readonly #open = new Map<number | null, number>();
  #total = 0;

  constructor(options: PeerLimitsOptions) {
    if (!Number.isSafeInteger(options.maxPerUid) || options.maxPerUid < 1) {
      throw new RangeError(`maxPerUid must be a whole number ≥ 1, not ${options.maxPerUid}`);
    }
    this.maxPerUid = options.maxPerUid;
  }

  /** Counts a new connection of `uid` and returns true, or returns false (counting nothing) when it already has maxPerUid. */
  admit(uid: number | null): boolean {
    const open = this.#open.get(uid) ?? 0;
    if (open >= this.maxPerUid) return false;
    this.#open.set(uid, open + 1);
    this.#total++;
    return true;
  }

  /** Forgets one admitted connection of `uid`; a release with nothing admitted does nothing. */
  release(uid: number | null): void {
    const open = this.#open.get(uid);
    if (open === undefined) return;
    if (open <= 1) this.#open.delete(uid);
    else this.#open.set(uid, open - 1);
    this.#total--;
  }

  /** Admitted connections in all. */
  get total(): number {
    return this.#total;
  }

  /** Open connections of `uid`. */
  openFor(uid: number | null): number {
    return this.#open.get(uid) ?? 0;
  }

  /** Every uid with open connections, most first (then by uid, unknown last), for status output. */
  counts(): PeerCount[] {
    return [...this.#open].map(([uid, open]) => ({ uid, open })).sort((a, b) => b.open - a.open || (a.uid ?? Infinity) - (b.uid ?? Infinity));
  }
}
