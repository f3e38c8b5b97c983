/**
 * What a redaction pattern's shape says before it ever runs: which construct keeps V8's linear
 * engine from running it (so the error can name it), and whether a backtracking engine would
 * blow up on it. The second is a heuristic over characters 0-255: a repetition whose body can
 * match the same text in more than one way, because an inner repetition competes with what
 * follows it, or because alternatives overlap.
 */
import { type Quantified, type RegexpNode, type Sequence, parseRegexp } from './regexp-tree.js';

/**
 * V8's linear engine copies the body of a counted repetition once per count; counts nested in
 * each other multiply, and the product may be at most this (v8 experimental-compiler.cc).
 */
export const MAX_LINEAR_COPIES = 16;

export interface BacktrackingRisk {
  readonly kind: 'nested' | 'overlap';
  /** The repetition at risk, as written, such as "(a+)+". */
  readonly source: string;
}

type CharSet = Uint8Array;
const CHARS = 256;

function* walk(sequences: readonly Sequence[]): Generator<Quantified> {
  for (const sequence of sequences) {
    for (const item of sequence) {
      yield item;
      if (item.node.kind === 'group') yield* walk(item.node.alternatives);
    }
  }
}

function shorten(source: string): string {
  return source.length > 40 ? `${source.slice(0, 37)}...` : source;
}

/** Why the linear engine refuses the pattern, when it is one of the constructs it cannot run. */
export function linearObstacle(pattern: string): string | undefined {
  const visit = (sequences: readonly Sequence[], copies: number): string | undefined => {
    for (const item of sequences.flat()) {
      const { node } = item;
      if (node.kind === 'backreference') return `it uses the backreference ${node.source}`;
      if (node.kind === 'group' && node.lookaround) return `it uses the lookaround ${shorten(node.source)}`;
      if (item.min > MAX_LINEAR_COPIES || (item.max !== Infinity && item.max > MAX_LINEAR_COPIES)) {
        return `the repetition ${shorten(item.source)} counts past ${MAX_LINEAR_COPIES}`;
      }
      const product = copies * (item.max === Infinity ? item.min + 1 : item.max);
      if (product > MAX_LINEAR_COPIES) {
        const where = copies > 1 ? ' inside other repetitions' : '';
        return `the repetition ${shorten(item.source)}${where} makes ${product} copies of its body, more than ${MAX_LINEAR_COPIES}`;
      }
      if (node.kind === 'group') {
        const found = visit(node.alternatives, product);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(parseRegexp(pattern), 1);
}

const charSets = new Map<string, CharSet>();

/** The characters (0-255) one "char" node matches, found by asking the regexp engine itself. */
function charSetOf(source: string): CharSet {
  let set = charSets.get(source);
  if (!set) {
    set = new Uint8Array(CHARS);
    const single = new RegExp(`^(?:${source})$`);
    for (let code = 0; code < CHARS; code += 1) set[code] = single.test(String.fromCharCode(code)) ? 1 : 0;
    charSets.set(source, set);
  }
  return set;
}

function union(a: CharSet, b: CharSet): CharSet {
  return a.map((value, index) => value | (b[index] as number));
}

function intersects(a: CharSet, b: CharSet): boolean {
  return a.some((value, index) => value === 1 && b[index] === 1);
}

const NOTHING: CharSet = new Uint8Array(CHARS);
const ANYTHING: CharSet = new Uint8Array(CHARS).fill(1);

/** Characters a match of the sequence can start with, and whether it can match empty text. */
function firstOf(sequence: Sequence): { set: CharSet; nullable: boolean } {
  let set = NOTHING;
  for (const item of sequence) {
    const first = firstOfNode(item.node);
    set = union(set, first.set);
    if (item.min > 0 && !first.nullable) return { set, nullable: false };
  }
  return { set, nullable: true };
}

function firstOfNode(node: RegexpNode): { set: CharSet; nullable: boolean } {
  if (node.kind === 'char') return { set: charSetOf(node.source), nullable: false };
  if (node.kind === 'assertion') return { set: NOTHING, nullable: true };
  // What a backreference repeats is not known here.
  if (node.kind === 'backreference') return { set: ANYTHING, nullable: true };
  if (node.lookaround) return { set: NOTHING, nullable: true };
  return node.alternatives.map(firstOf).reduce((a, b) => ({ set: union(a.set, b.set), nullable: a.nullable || b.nullable }));
}

/** Every character the node can consume anywhere in a match. */
function consumedBy(node: RegexpNode): CharSet {
  if (node.kind === 'char') return charSetOf(node.source);
  if (node.kind === 'backreference') return ANYTHING;
  if (node.kind === 'assertion' || node.lookaround) return NOTHING;
  return [...walk(node.alternatives)].map((item) => consumedBy(item.node)).reduce(union, NOTHING);
}

/**
 * An inner repetition of variable length whose characters could also be taken by what follows
 * it (`after` is what can come after the sequences: the next iteration of the outer repetition).
 */
function competingRepetition(sequences: readonly Sequence[], after: CharSet, outerUnbounded: boolean): Quantified | undefined {
  for (const sequence of sequences) {
    for (const [index, item] of sequence.entries()) {
      const rest = firstOf(sequence.slice(index + 1));
      const follow = rest.nullable ? union(rest.set, after) : rest.set;
      const variable = item.min !== item.max && (outerUnbounded || item.max === Infinity);
      if (variable && intersects(consumedBy(item.node), follow)) return item;
      if (item.node.kind === 'group' && !item.node.lookaround) {
        const found = competingRepetition(item.node.alternatives, follow, outerUnbounded);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** The literal text a sequence starts with ("ab" for ab+c). */
function literalPrefix(sequence: Sequence): string {
  let text = '';
  for (const item of sequence) {
    if (item.node.kind !== 'char' || item.node.literal === undefined) break;
    text += item.node.literal.repeat(item.min);
    if (item.min !== item.max) break;
  }
  return text;
}

function overlap(a: Sequence, b: Sequence): boolean {
  const [textA, textB] = [literalPrefix(a), literalPrefix(b)];
  if (textA !== '' && textB !== '') return textA.startsWith(textB) || textB.startsWith(textA);
  return intersects(firstOf(a).set, firstOf(b).set);
}

/** A group's alternatives, looking through groups that only wrap another group. */
function alternativesOf(node: RegexpNode & { kind: 'group' }): readonly Sequence[] {
  const only = node.alternatives.length === 1 ? node.alternatives[0] : undefined;
  const inner = only?.length === 1 ? only[0] : undefined;
  if (inner && inner.min === 1 && inner.max === 1 && inner.node.kind === 'group' && !inner.node.lookaround) return alternativesOf(inner.node);
  return node.alternatives;
}

/** The first repetition a backtracking engine could take exponential time over, if any. */
export function backtrackingRisk(pattern: string): BacktrackingRisk | undefined {
  for (const item of walk(parseRegexp(pattern))) {
    const { node } = item;
    if (item.max <= 1 || node.kind !== 'group' || node.lookaround) continue;
    const unbounded = item.max === Infinity;
    if (competingRepetition(node.alternatives, firstOfNode(node).set, unbounded)) return { kind: 'nested', source: item.source };
    const alternatives = alternativesOf(node);
    if (unbounded && alternatives.some((a, i) => alternatives.slice(i + 1).some((b) => overlap(a, b)))) return { kind: 'overlap', source: item.source };
  }
  return undefined;
}
