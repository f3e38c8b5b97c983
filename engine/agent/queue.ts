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
 * A plain FIFO of items with their sequence numbers, kept as runs of consecutive numbers beside the
 * items instead of an object around each: a route's backlog held by a rate limit (200,000 records,
 * say, numbered one after another) costs one array slot a record. Items are only ever appended in
 * sequence order.
 */
export class SequencedFifo<T> {
  #items: T[] = [];
  #head = 0;
  /** Run i starts at item #runStarts[i] with sequence number #runSeqs[i]; each next item is one more. */
  #runStarts: number[] = [];
  #runSeqs: number[] = [];
  /** The run the head item is in. */
  #run = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** The head item's sequence number (undefined when empty). */
  peekSeq(): number {
    return (this.#runSeqs[this.#run] as number) + this.#head - (this.#runStarts[this.#run] as number);
  }

  push(seq: number, item: T): void {
    const last = this.#runStarts.length - 1;
    const index = this.#items.length;
    const continues = last >= this.#run && this.length > 0 && (this.#runSeqs[last] as number) + index - (this.#runStarts[last] as number) === seq;
    if (!continues) {
      if (this.length === 0) this.#reset();
      this.#runStarts.push(this.#items.length);
      this.#runSeqs.push(seq);
    }
    this.#items.push(item);
  }

  shift(): void {
    if (this.length === 0) return;
    this.#head += 1;
    if (this.#run + 1 < this.#runStarts.length && this.#head >= (this.#runStarts[this.#run + 1] as number)) this.#run += 1;
    if (this.length === 0) {
      this.#reset();
      return;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) this.#compact();
  }

  /** Replaces every item by what `change` returns for it, dropping those it returns null for, keeping the order. */
  rewrite(change: (item: T) => T | null): void {
    const kept: [number, T][] = [];
    while (this.length > 0) {
      const seq = this.peekSeq();
      const changed = change(this.peek() as T);
      this.shift();
      if (changed !== null) kept.push([seq, changed]);
    }
    this.#reset();
    for (const [seq, item] of kept) this.push(seq, item);
  }

  #reset(): void {
    this.#items = [];
    this.#head = 0;
    this.#runStarts = [];
    this.#runSeqs = [];
    this.#run = 0;
  }

  /** Drops the items and runs already shifted out. */
  #compact(): void {
    const head = this.#head;
    const firstSeq = this.peekSeq();
    this.#items = this.#items.slice(head);
    this.#runStarts = [0, ...this.#runStarts.slice(this.#run + 1).map((start) => start - head)];
    this.#runSeqs = [firstSeq, ...this.#runSeqs.slice(this.#run + 1)];
    this.#head = 0;
    this.#run = 0;
  }
}
