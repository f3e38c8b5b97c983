/**
 * Classification patterns as SQL that an index can serve: the literal text before the first
 * wildcard becomes a prefix test (a range on SQLite, LIKE on PostgreSQL), and the whole
 * pattern is tested only where that prefix cannot say it all, so upstream's
 * "org.clearlinux/crash/*" is a prefix alone. The full test means exactly what
 * engine/pattern/glob.ts means: on SQLite it is that matcher itself (no backtracking, so no
 * pattern can make it slow), on PostgreSQL an anchored regular expression for `~`.
 */
import { classificationMatches, parseGlob } from '../../pattern/glob.js';

export type GlobCondition =
  | { readonly kind: 'equals'; readonly value: string }
  /** `prefix` is literal ("" matches everything); with `exact` false the whole pattern must also match. */
  | { readonly kind: 'prefix'; readonly prefix: string; readonly exact: boolean };

const hasWildcard = (text: string) => /[*?]/.test(text);

export function globCondition(pattern: string): GlobCondition {
  const glob = parseGlob(pattern);
  if (!glob.openEnded && !hasWildcard(pattern)) return { kind: 'equals', value: pattern };
  // "a/b/*" (open-ended, literal before it) is every classification starting "a/b/".
  const fixed = glob.openEnded ? glob.segments.slice(0, -1) : glob.segments;
  if (glob.openEnded && !fixed.some(hasWildcard)) return { kind: 'prefix', prefix: fixed.map((segment) => `${segment}/`).join(''), exact: true };
  return { kind: 'prefix', prefix: pattern.slice(0, pattern.search(/[*?]/)), exact: false };
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** The pattern as an anchored regular expression, read the same by JavaScript and PostgreSQL's `~`. */
export function globRegex(pattern: string): string {
  const glob = parseGlob(pattern);
  const fixed = glob.openEnded ? glob.segments.slice(0, -1) : glob.segments;
  const segment = (text: string) => [...text].map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : escapeRegex(char))).join('');
  // An open-ended pattern ("a*/*", "*") covers one or more further segments of any content.
  const tail = glob.openEnded ? (fixed.length > 0 ? '/.*' : '.*') : '';
  return `^${fixed.map(segment).join('/')}${tail}$`;
}

/** The smallest text greater than every text starting with `prefix`. */
export function prefixUpperBound(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** `prefix` as a LIKE pattern with "\" as escape character. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
}

/** SQLite's telem_glob(pattern, classification), registered on each connection. */
export function sqliteGlob(pattern: unknown, value: unknown): number {
  return typeof pattern === 'string' && typeof value === 'string' && classificationMatches(pattern, value) ? 1 : 0;
}
