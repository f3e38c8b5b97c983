/**
 * Whether two classification patterns can match a common classification, for telling which
 * allow and deny rules bear on a route. Literal segments are tested with the router's own
 * segment matcher; two wildcard segments are taken to overlap (a report errs toward naming a
 * rule that may apply, never toward hiding one).
 */
import { parseGlob, segmentMatches } from '../pattern/glob.js';

function segmentsMayMeet(a: string, b: string): boolean {
  const aWild = /[*?]/.test(a);
  const bWild = /[*?]/.test(b);
  if (!aWild && !bWild) return a === b;
  if (!aWild) return segmentMatches(b, a);
  if (!bWild) return segmentMatches(a, b);
  return true;
}

export function globsMayMeet(first: string, second: string): boolean {
  const a = parseGlob(first);
  const b = parseGlob(second);
  const aFixed = a.openEnded ? a.segments.length - 1 : a.segments.length;
  const bFixed = b.openEnded ? b.segments.length - 1 : b.segments.length;
  // Depths each can match: exactly fixed, or anything deeper than fixed when open-ended.
  const depthsMeet = a.openEnded && b.openEnded ? true : a.openEnded ? bFixed > aFixed : b.openEnded ? aFixed > bFixed : aFixed === bFixed;
  if (!depthsMeet) return false;
  for (let index = 0; index < Math.min(aFixed, bFixed); index += 1) {
    if (!segmentsMayMeet(a.segments[index] as string, b.segments[index] as string)) return false;
  }
  return true;
}
