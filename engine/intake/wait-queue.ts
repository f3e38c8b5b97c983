/**
 * Connections waiting for an intake slot, queued per local user (peer uid) and served round-robin
 * between users, so one user who opens a thousand connections waits behind everyone else instead
 * of in front. When the queue is full, the user with the most connections waiting gives up its
 * newest one to make room for another user's.
 */
export type Uid = number | null;

export class WaitQueue<T> {
  readonly #byUid = new Map<Uid, T[]>();
  /** Users with connections waiting, in the order they are served next. */
  #turns: Uid[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(uid: Uid, item: T): void {
    let queue = this.#byUid.get(uid);
    if (!queue) {
      queue = [];
      this.#byUid.set(uid, queue);
      this.#turns.push(uid);
    }
    queue.push(item);
    this.#size += 1;
  }

  /** The oldest waiting connection of the next user in turn that `eligible` accepts, or undefined. */
  shift(eligible: (uid: Uid) => boolean): { uid: Uid; item: T } | undefined {
    for (let index = 0; index < this.#turns.length; index += 1) {
      const uid = this.#turns[index] as Uid;
      if (!eligible(uid)) continue;
      const queue = this.#byUid.get(uid) as T[];
      const item = queue.shift() as T;
      this.#size -= 1;
      // This user goes to the back of the line (or leaves it).
      this.#turns.splice(index, 1);
      if (queue.length > 0) this.#turns.push(uid);
      else this.#byUid.delete(uid);
      return { uid, item };
    }
    return undefined;
  }

  /**
   * Makes room for one connection of `uid`: takes the newest waiting connection of the user with
   * the most waiting, if that user has more waiting than `uid` would after the push. Undefined when
   * `uid` itself is the one with the most (then its new connection is the one to refuse).
   */
  evictFor(uid: Uid): { uid: Uid; item: T } | undefined {
    let largest: Uid | undefined;
    let most = (this.#byUid.get(uid)?.length ?? 0) + 1;
    for (const [candidate, queue] of this.#byUid) {
      if (queue.length > most) {
        most = queue.length;
        largest = candidate;
      }
    }
    if (largest === undefined) return undefined;
    const queue = this.#byUid.get(largest) as T[];
    const item = queue.pop() as T;
    this.#size -= 1;
    if (queue.length === 0) {
      this.#byUid.delete(largest);
      this.#turns = this.#turns.filter((turn) => turn !== largest);
    }
    return { uid: largest, item };
  }

  /** Takes everything out (shutdown without draining). */
  clear(): T[] {
    const all = [...this.#byUid.values()].flat();
    this.#byUid.clear();
    this.#turns = [];
    this.#size = 0;
    return all;
  }
}
