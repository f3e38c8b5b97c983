/**
 * A classification matcher built once per policy: patterns are stored in a trie by segment, so
 * matching a record walks at most three levels instead of trying every pattern. Values are
 * pattern indices (route order, or allow/deny list order); a lookup returns them sorted.
 * Plain data, so a runtime plan can be inspected and serialised.
 */
import { parseGlob, segmentMatches } from '../pattern/glob.js';

export interface TrieNode {
  /** Children by literal segment text. */
  readonly literal: Record<string, TrieNode>;
  /** Children by segment glob containing * or ? (other than a lone "*"). */
  readonly wildcard: { readonly glob: string; readonly node: TrieNode }[];
  /** Child for a lone "*" segment. */
  star: TrieNode | null;
  /** Patterns that end exactly at this depth. */
  readonly ends: number[];
  /** Patterns whose last segment is an open-ended "*": they match anything deeper. */
  readonly below: number[];
}

function emptyNode(): TrieNode {
  return { literal: Object.create(null) as Record<string, TrieNode>, wildcard: [], star: null, ends: [], below: [] };
}

function child(node: TrieNode, segment: string): TrieNode {
  if (segment === '*') return (node.star ??= emptyNode());
  if (/[*?]/.test(segment)) {
    let entry = node.wildcard.find((candidate) => candidate.glob === segment);
    if (!entry) {
      entry = { glob: segment, node: emptyNode() };
      node.wildcard.push(entry);
    }
    return entry.node;
  }
  return (node.literal[segment] ??= emptyNode());
}

export function buildTrie(patterns: readonly string[]): TrieNode {
  const root = emptyNode();
  patterns.forEach((pattern, index) => {
    const glob = parseGlob(pattern);
    const fixed = glob.openEnded ? glob.segments.slice(0, -1) : glob.segments;
    let node = root;
    for (const segment of fixed) node = child(node, segment);
    (glob.openEnded ? node.below : node.ends).push(index);
  });
  return root;
}

function collect(node: TrieNode, parts: readonly string[], depth: number, into: Set<number>): void {
  if (depth < parts.length) for (const index of node.below) into.add(index);
  if (depth === parts.length) {
    for (const index of node.ends) into.add(index);
    return;
  }
  const part = parts[depth] as string;
  const literal = node.literal[part];
  if (literal) collect(literal, parts, depth + 1, into);
  if (node.star) collect(node.star, parts, depth + 1, into);
  for (const { glob, node: next } of node.wildcard) if (segmentMatches(glob, part)) collect(next, parts, depth + 1, into);
}

/** Indices of every pattern matching the classification, in ascending order. */
export function lookupTrie(root: TrieNode, classification: string): number[] {
  const found = new Set<number>();
  collect(root, classification.split('/'), 0, found);
  return [...found].sort((a, b) => a - b);
}
