/** A FIFO ordered by sequence number, where retried items go back to their place in line. */

export interface Sequenced {
  readonly seq: number;
}

export class OrderedQueue<T extends Sequenced> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Inserts keeping sequence order (appending is the common case). */
  push(item: T): void {
    const last = this.#items[this.#items.length - 1];
    if (this.length === 0 || (last !== undefined && last.seq <= item.seq)) {
      this.#items.push(item);
      return;
    }
    let low = this.#head;
    let high = this.#items.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.#items[middle] as T).seq <= item.seq) low = middle + 1;
      else high = middle;
    }
    this.#items.splice(low, 0, item);
  }

  /** Puts items back in their places; a batch sent again is the oldest, so it goes in front in one step. */
  pushAll(items: readonly T[]): void {
    if (items.length === 0) return;
    const sorted = [...items].sort((a, b) => a.seq - b.seq);
    const head = this.peek();
    if (head === undefined || (sorted.at(-1) as T).seq <= head.seq) {
      this.#items = [...sorted, ...this.#items.slice(this.#head)];
      this.#head = 0;
      return;
    }
    for (const item of sorted) this.push(item);
  }

  /** Removes every item the predicate accepts, keeping the order of the rest. */
  remove(predicate: (item: T) => boolean): void {
    this.#items = this.#items.slice(this.#head).filter((item) => !predicate(item));
    this.#head = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let index = this.#head; index < this.#items.length; index += 1) yield this.#items[index] as T;
  }
}

/**
 * A plain FIFO of items, each with its sequence number beside it in a parallel array instead of in
 * an object around it: a route's backlog held by a rate limit (200,000 records, say) then costs two
 * array slots a record, not an object each. Items are only ever appended in sequence order.
 */
export class SequencedFifo<T> {
  #items: T[] = [];
  #seqs: number[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  peekSeq(): number {
    return this.#seqs[this.#head] as number;
  }

  push(seq: number, item: T): void {
    this.#items.push(item);
    this.#seqs.push(seq);
  }

  shift(): void {
    if (this.length === 0) return;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Replaces every item by what `change` returns for it, dropping those it returns null for, keeping the order. */
  rewrite(change: (item: T) => T | null): void {
    const items: T[] = [];
    const seqs: number[] = [];
    for (let index = this.#head; index < this.#items.length; index += 1) {
      const changed = change(this.#items[index] as T);
      if (changed === null) continue;
      items.push(changed);
      seqs.push(this.#seqs[index] as number);
    }
    this.#items = items;
    this.#seqs = seqs;
    this.#head = 0;
  }
}
