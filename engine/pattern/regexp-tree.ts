/**
 * A small parse of a JavaScript regular expression (without the u flag, as redactions run), just
 * deep enough to see its shape: groups, alternatives, quantifiers, assertions, backreferences.
 * The pattern has already compiled, so the parser never has to report syntax errors; whatever it
 * cannot place it reads as one character.
 */

export type RegexpNode =
  /** Consumes one character: a literal (with `literal` set), an escape such as \d, a class or ".". */
  | { readonly kind: 'char'; readonly source: string; readonly literal?: string }
  /** Zero width: ^, $, \b, \B. */
  | { readonly kind: 'assertion'; readonly source: string }
  | { readonly kind: 'backreference'; readonly source: string }
  | { readonly kind: 'group'; readonly source: string; readonly lookaround: boolean; readonly alternatives: readonly Sequence[] };

export interface Quantified {
  readonly node: RegexpNode;
  readonly min: number;
  /** Infinity for *, + and {n,}. */
  readonly max: number;
  /** The item as written, quantifier included, such as "(a+)+". */
  readonly source: string;
}

export type Sequence = readonly Quantified[];

/** Control escapes whose character is known, so alternatives made of them can be compared as text. */
const CONTROL_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', v: '\v' };

function countCaptures(pattern: string): { numbered: number; named: boolean } {
  let numbered = 0;
  let named = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\\') i += 1;
    else if (c === '[') i = classEnd(pattern, i);
    else if (c === '(' && pattern[i + 1] !== '?') numbered += 1;
    else if (c === '(' && pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
      numbered += 1;
      named = true;
    }
  }
  return { numbered, named };
}

/** Index of the "]" closing the class that opens at `start` ("[]" is an empty class, as in JavaScript). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i += 1;
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
  return i;
}

class Parser {
  #at = 0;
  readonly #pattern: string;
  readonly #captures: { numbered: number; named: boolean };

  constructor(pattern: string) {
    this.#pattern = pattern;
    this.#captures = countCaptures(pattern);
  }

  alternatives(): Sequence[] {
    const alternatives: Sequence[] = [this.#sequence()];
    while (this.#pattern[this.#at] === '|') {
      this.#at += 1;
      alternatives.push(this.#sequence());
    }
    return alternatives;
  }

  #sequence(): Sequence {
    const items: Quantified[] = [];
    while (this.#at < this.#pattern.length && this.#pattern[this.#at] !== '|' && this.#pattern[this.#at] !== ')') {
      const start = this.#at;
      const node = this.#atom();
      const { min, max } = this.#quantifier();
      items.push({ node, min, max, source: this.#pattern.slice(start, this.#at) });
    }
    return items;
  }

  #atom(): RegexpNode {
    const pattern = this.#pattern;
    const start = this.#at;
    const c = pattern[start] as string;
    if (c === '\\') return this.#escape();
    if (c === '[') {
      this.#at = classEnd(pattern, start) + 1;
      return { kind: 'char', source: pattern.slice(start, this.#at) };
    }
    if (c === '(') return this.#group();
    this.#at += 1;
    if (c === '^' || c === '$') return { kind: 'assertion', source: c };
    if (c === '.') return { kind: 'char', source: c };
    return { kind: 'char', source: c, literal: c };
  }

  #escape(): RegexpNode {
    const pattern = this.#pattern;
    const start = this.#at;
    const next = pattern[start + 1] ?? '';
    const take = (length: number) => {
      this.#at = Math.min(start + length, pattern.length);
      return pattern.slice(start, this.#at);
    };
    if (next === 'b' || next === 'B') return { kind: 'assertion', source: take(2) };
    const number = /^[1-9]\d*/.exec(pattern.slice(start + 1))?.[0];
    if (number !== undefined && Number(number) <= this.#captures.numbered) return { kind: 'backreference', source: take(1 + number.length) };
    const name = /^k<[^>]+>/.exec(pattern.slice(start + 1))?.[0];
    if (name !== undefined && this.#captures.named) return { kind: 'backreference', source: take(1 + name.length) };
    const code = /^(?:c[A-Za-z]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})/.exec(pattern.slice(start + 1))?.[0];
    if (code !== undefined) {
      const value = code[0] === 'c' ? code.charCodeAt(1) % 32 : parseInt(code.slice(1), 16);
      return { kind: 'char', source: take(1 + code.length), literal: String.fromCharCode(value) };
    }
    const source = take(2);
    if (CONTROL_ESCAPES[next] !== undefined) return { kind: 'char', source, literal: CONTROL_ESCAPES[next] };
    // An escaped letter or digit is a class (\d, \w) or a code; anything else stands for itself.
    return /[A-Za-z0-9]/.test(next) ? { kind: 'char', source } : { kind: 'char', source, literal: next };
  }

  #group(): RegexpNode {
    const pattern = this.#pattern;
    const start = this.#at;
    const opener = /^\((?:\?(?::|=|!|<=|<!|<[^>]+>))?/.exec(pattern.slice(start))?.[0] ?? '(';
    const lookaround = /^\(\?(?:=|!|<=|<!)$/.test(opener);
    this.#at += opener.length;
    const alternatives = this.alternatives();
    if (pattern[this.#at] === ')') this.#at += 1;
    return { kind: 'group', source: pattern.slice(start, this.#at), lookaround, alternatives };
  }

  #quantifier(): { min: number; max: number } {
    const pattern = this.#pattern;
    const c = pattern[this.#at];
    let bounds: { min: number; max: number } | undefined;
    if (c === '*') bounds = { min: 0, max: Infinity };
    else if (c === '+') bounds = { min: 1, max: Infinity };
    else if (c === '?') bounds = { min: 0, max: 1 };
    if (bounds) this.#at += 1;
    else {
      const counted = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(this.#at));
      if (!counted) return { min: 1, max: 1 };
      this.#at += counted[0].length;
      const min = Number(counted[1]);
      bounds = { min, max: counted[2] === undefined ? min : counted[3] === '' ? Infinity : Number(counted[3]) };
    }
    // A lazy quantifier matches the same strings, only in another order.
    if (pattern[this.#at] === '?') this.#at += 1;
    return bounds;
  }
}

/** The alternatives of a whole pattern. */
export function parseRegexp(pattern: string): readonly Sequence[] {
  return new Parser(pattern).alternatives();
}
