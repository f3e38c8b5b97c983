/**
 * Classification patterns as SQL: a pattern without wildcards is an equality (it can use the
 * index); otherwise it becomes an anchored regular expression meaning exactly what
 * engine/route/glob.ts means, in the syntax both JavaScript (SQLite's REGEXP function) and
 * PostgreSQL's `~` read the same way.
 */
import { parseGlob } from '../../route/glob.js';

export type GlobCondition = { readonly kind: 'equals'; readonly value: string } | { readonly kind: 'regex'; readonly pattern: string };

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

function segmentRegex(segment: string): string {
  let out = '';
  for (const char of segment) out += char === '*' ? '[^/]*' : char === '?' ? '[^/]' : escapeRegex(char);
  return out;
}

export function globCondition(pattern: string): GlobCondition {
  const glob = parseGlob(pattern);
  if (!glob.openEnded && !/[*?]/.test(pattern)) return { kind: 'equals', value: pattern };
  const fixed = glob.openEnded ? glob.segments.slice(0, -1) : glob.segments;
  const body = fixed.map(segmentRegex).join('/');
  // An open-ended pattern ("a/*", "*") covers one or more further segments of any content.
  const tail = glob.openEnded ? (fixed.length > 0 ? '/.*' : '.*') : '';
  return { kind: 'regex', pattern: `^${body}${tail}$` };
}

const cache = new Map<string, RegExp>();

/** SQLite's REGEXP(pattern, value), registered on each connection. */
export function sqliteRegexp(pattern: unknown, value: unknown): number {
  if (typeof pattern !== 'string' || typeof value !== 'string') return 0;
  let regex = cache.get(pattern);
  if (!regex) {
    if (cache.size > 1000) cache.clear();
    regex = new RegExp(pattern, 's');
    cache.set(pattern, regex);
  }
  return regex.test(value) ? 1 : 0;
}
