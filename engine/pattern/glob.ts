/**
 * Classification patterns: "org.clearlinux/crash/*". A pattern has up to three "/"-separated
 * segments; within a segment `*` matches any run of characters and `?` one character (never
 * "/"). A shorter pattern whose last segment is exactly `*` also covers the remaining
 * segments, so "*" matches every record and "org.clearlinux/*" everything under it.
 */

export interface ParsedGlob {
  readonly segments: readonly string[];
  /** The final `*` segment stands for "this and any deeper segments". */
  readonly openEnded: boolean;
}

const MAX_SEGMENTS = 3;

export function parseGlob(pattern: string): ParsedGlob {
  const segments = pattern.split('/');
  return { segments, openEnded: segments.length < MAX_SEGMENTS && segments[segments.length - 1] === '*' };
}

/** Whether `piece` (literal text and `?`, no `*`) matches `text` at `at`. */
function pieceAt(piece: string, text: string, at: number): boolean {
  if (at + piece.length > text.length) return false;
  for (let index = 0; index < piece.length; index += 1) if (piece[index] !== '?' && piece[index] !== text[at + index]) return false;
  return true;
}

/** Leftmost position from `from` where `piece` matches within `text` up to `end`, or -1. */
function findPiece(piece: string, text: string, from: number, end: number): number {
  if (!piece.includes('?')) {
    const found = text.indexOf(piece, from);
    return found >= 0 && found + piece.length <= end ? found : -1;
  }
  for (let at = from; at + piece.length <= end; at += 1) if (pieceAt(piece, text, at)) return at;
  return -1;
}

/**
 * Whether `glob` (one segment, `*` and `?`) matches `text`. The text between the `*`s must
 * start with the first piece, end with the last and hold the others in order; taking each
 * middle piece at its leftmost place leaves the most room for the rest, so no choice is ever
 * revisited: at most one scan of the text per piece, and indexOf's speed for literal pieces.
 */
export function segmentMatches(glob: string, text: string): boolean {
  const pieces = glob.split('*');
  const first = pieces[0] as string;
  if (pieces.length === 1) return first.length === text.length && pieceAt(first, text, 0);
  const last = pieces[pieces.length - 1] as string;
  if (first.length + last.length > text.length || !pieceAt(first, text, 0) || !pieceAt(last, text, text.length - last.length)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let index = 1; index < pieces.length - 1; index += 1) {
    const piece = pieces[index] as string;
    const found = findPiece(piece, text, at, end);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
}

export function classificationMatches(pattern: string, classification: string): boolean {
  const glob = parseGlob(pattern);
  const parts = classification.split('/');
  const fixed = glob.openEnded ? glob.segments.length - 1 : glob.segments.length;
  if (glob.openEnded ? parts.length <= fixed : parts.length !== fixed) return false;
  for (let index = 0; index < fixed; index += 1) {
    if (!segmentMatches(glob.segments[index] as string, parts[index] as string)) return false;
  }
  return true;
}

/**
 * Whether segment glob `outer` matches every text `inner` can match. `inner`'s own `*` can
 * only be absorbed by a `*` of `outer`, and its `?` by a `?` or `*`.
 */
function segmentCovers(outer: string, inner: string): boolean {
  // Fast paths for the common shapes: "*", and literal segments.
  if (outer === '*') return true;
  const outerWild = /[*?]/.test(outer);
  if (!outerWild) return outer === inner;
  if (!/[*?]/.test(inner)) return segmentMatches(outer, inner);
  const memo = new Map<number, boolean>();
  const covers = (o: number, i: number): boolean => {
    const key = o * (inner.length + 1) + i;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let result: boolean;
    if (o === outer.length) result = i === inner.length;
    else if (outer[o] === '*') result = covers(o + 1, i) || (i < inner.length && covers(o, i + 1));
    else if (i === inner.length || inner[i] === '*') result = false;
    else if (outer[o] === '?') result = covers(o + 1, i + 1);
    else result = inner[i] !== '?' && outer[o] === inner[i] && covers(o + 1, i + 1);
    memo.set(key, result);
    return result;
  };
  return covers(0, 0);
}

/** Whether every classification matched by `inner` is also matched by `outer`. */
export function globCovers(outer: string, inner: string): boolean {
  return parsedGlobCovers(parseGlob(outer), parseGlob(inner));
}

/** globCovers for patterns parsed once, for checks that compare many pairs. */
export function parsedGlobCovers(a: ParsedGlob, b: ParsedGlob): boolean {
  const aFixed = a.openEnded ? a.segments.length - 1 : a.segments.length;
  const bFixed = b.openEnded ? b.segments.length - 1 : b.segments.length;
  if (b.openEnded) {
    // inner reaches every depth from bFixed+1 on: outer must too, and agree on the fixed part.
    if (!a.openEnded || aFixed > bFixed) return false;
  } else if (a.openEnded ? aFixed > bFixed : aFixed !== bFixed) {
    return false;
  }
  for (let index = 0; index < aFixed; index += 1) {
    if (!segmentCovers(a.segments[index] as string, b.segments[index] as string)) return false;
  }
  return true;
}
