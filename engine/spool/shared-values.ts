/**
 * Values many spooled records share (a routing, a classification, a segment), numbered, so the
 * index keeps 4 bytes a record instead of a pointer to a copy of its own: 200,000 records of a few
 * classifications and routings hold a few values, not 200,000. A number is given back once no
 * record holds its value, so random classifications cannot grow the table.
 */
export class SharedValues<T, K = T> {
  readonly #values: (T | undefined)[] = [];
  readonly #keys: (K | undefined)[] = [];
  readonly #holders: number[] = [];
  readonly #numbers = new Map<K, number>();
  readonly #free: number[] = [];

  /** `key`: what makes two values the same; `own`: the copy kept of a value first seen. */
  constructor(private readonly options: { readonly key: (value: T) => K; readonly own: (value: T) => T }) {}

  take(value: T): number {
    const key = this.options.key(value);
    let number = this.#numbers.get(key);
    if (number === undefined) {
      number = this.#free.pop() ?? this.#values.length;
      this.#values[number] = this.options.own(value);
      this.#keys[number] = key;
      this.#holders[number] = 0;
      this.#numbers.set(key, number);
    }
    this.#holders[number] = (this.#holders[number] as number) + 1;
    return number;
  }

  drop(number: number): void {
    const holders = (this.#holders[number] as number) - 1;
    this.#holders[number] = holders;
    if (holders > 0) return;
    this.#numbers.delete(this.#keys[number] as K);
    this.#values[number] = undefined;
    this.#keys[number] = undefined;
    this.#free.push(number);
  }

  value(number: number): T {
    return this.#values[number] as T;
  }
}

/**
 * A copy of a string that shares no memory with where it came from. Header values are cut out of
 * the record's whole header text, and V8 keeps such a slice as a view of its parent: a
 * classification kept in the index would keep the record's ~450 bytes of headers alive with it.
 */
export function ownString(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}
