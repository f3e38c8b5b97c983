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

/** Whether `glob` (one segment, `*` and `?`) matches `text`; iterative, no backtracking blow-up. */
export function segmentMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let starG = -1;
  let starT = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === text[t]) && glob[g] !== '*') {
      g += 1;
      t += 1;
    } else if (g < glob.length && glob[g] === '*') {
      starG = g;
      starT = t;
      g += 1;
    } else if (starG >= 0) {
      g = starG + 1;
      starT += 1;
      t = starT;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g += 1;
  return g === glob.length;
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
