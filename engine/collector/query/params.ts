/**
 * Query parameters of the API, named like the record fields. Every mistake is a 400 with a
 * message naming the parameter; unknown parameters are refused rather than ignored, so a
 * typo cannot silently return everything.
 */
import { CLASSIFICATION_GLOB_PATTERN } from '../../../schemas/classification.js';
import { parseDuration } from '../../../schemas/units.js';
import { HttpError } from '../reply/reply.js';
import type { RecordFilter } from '../storage/store.js';
import { SEVERITIES, TEXT_FILTERS } from '../record/fields.js';

/** The filters' names and kinds are in fields.ts, which GET /api/fields serves. */
export { FILTER_PARAMETERS } from '../record/fields.js';

const classificationPattern = new RegExp(CLASSIFICATION_GLOB_PATTERN);

/**
 * What one query may ask for, so no request can make the database do unbounded work: each
 * pattern is tested on every row its prefix admits, each value is one more index probe.
 */
export const MAX_PATTERNS = 16;
export const MAX_VALUES = 100;
const MAX_PATTERN_LENGTH = 256;

function invalid(message: string): HttpError {
  return new HttpError(400, message);
}

/** Refuses parameters outside `known`, and values no database column can hold. */
export function checkKnown(params: URLSearchParams, known: readonly string[]): void {
  for (const [name, value] of params) {
    if (!known.includes(name)) {
      throw invalid(`unknown query parameter "${name}"; ${known.length ? `known parameters: ${known.join(', ')}` : 'this endpoint takes none'}`);
    }
    if (value.includes('\0')) throw invalid(`${name} contains a NUL character`);
  }
}

/** A time as ISO 8601, unix seconds, or a duration before now ("15m", "7d"). */
export function parseTime(name: string, text: string, now: number): number {
  const ago = parseDuration(text);
  const parsed = /^\d+$/.test(text) ? Number(text) * 1000 : ago !== undefined ? now - ago : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw invalid(`${name} should be a date and time (2025-01-31T12:00:00Z), unix seconds, or a duration before now such as "15m"`);
  }
  return parsed;
}

const SEVERITY_VALUES = SEVERITIES.map((severity) => String(severity.value));

function severities(values: string[]): number[] {
  const parsed = values
    .flatMap((value) => value.split(','))
    .map((value) => {
      if (!SEVERITY_VALUES.includes(value.trim())) {
        throw invalid(`severity should be a number from ${SEVERITY_VALUES[0]} to ${SEVERITY_VALUES.at(-1)} (several: severity=3,4)`);
      }
      return Number(value);
    });
  return [...new Set(parsed)];
}

const MAX_PHRASES = 16;
const MAX_SEARCH_LENGTH = 256;
/** A word: what both search indexes keep (letters and digits); punctuation only separates words. */
const WORD = /[\p{L}\p{N}]/u;

/** q: words and "quoted phrases", all of which must occur in the payload. */
function searchPhrases(values: readonly string[]): string[] {
  const phrases: string[] = [];
  for (const value of values) {
    if (value.length > MAX_SEARCH_LENGTH) throw invalid(`q may be at most ${MAX_SEARCH_LENGTH} characters long`);
    for (const match of value.matchAll(/"([^"]*)"|(\S+)/g)) {
      const phrase = (match[1] ?? match[2] ?? '').trim();
      if (phrase === '') continue;
      if (!WORD.test(phrase)) throw invalid(`q searches whole words of the payload: "${phrase}" has no letter or digit to search for`);
      phrases.push(phrase);
    }
  }
  if (phrases.length === 0) throw invalid('q should name a word or a "quoted phrase" to find in payloads');
  if (phrases.length > MAX_PHRASES) throw invalid(`at most ${MAX_PHRASES} words or phrases per search (this one has ${phrases.length})`);
  return phrases;
}

export function parseFilter(params: URLSearchParams, now: number): RecordFilter {
  const filter: { -readonly [K in keyof RecordFilter]: RecordFilter[K] } = {};
  const classification = params.getAll('classification');
  if (classification.length > MAX_PATTERNS) throw invalid(`at most ${MAX_PATTERNS} classification patterns per query (this one has ${classification.length})`);
  for (const pattern of classification) {
    if (pattern.length > MAX_PATTERN_LENGTH) throw invalid(`a classification pattern may be at most ${MAX_PATTERN_LENGTH} characters long`);
    if (pattern === '' || !classificationPattern.test(pattern)) {
      throw invalid('classification should be a pattern like "org.clearlinux/crash/*": up to three "/"-separated parts, "*" and "?" as wildcards');
    }
  }
  if (classification.length) filter.classification = classification;
  const severity = params.getAll('severity');
  if (severity.length) filter.severity = severities(severity);
  for (const name of TEXT_FILTERS) {
    const values = params.getAll(name);
    if (values.length > MAX_VALUES) throw invalid(`at most ${MAX_VALUES} values of ${name} per query (this one has ${values.length})`);
    if (values.length) filter[name] = values;
  }
  const q = params.getAll('q');
  if (q.length) filter.q = searchPhrases(q);
  const since = params.get('since');
  if (since !== null) filter.since = parseTime('since', since, now);
  const until = params.get('until');
  if (until !== null) filter.until = parseTime('until', until, now);
  const createdSince = params.get('created_since');
  if (createdSince !== null) filter.created_since = parseTime('created_since', createdSince, now);
  const createdUntil = params.get('created_until');
  if (createdUntil !== null) filter.created_until = parseTime('created_until', createdUntil, now);
  return filter;
}

export function parseLimit(params: URLSearchParams, fallback: number | undefined, max: number): number | undefined {
  const text = params.get('limit');
  if (text === null) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw invalid(`limit should be a number from 1 to ${max}`);
  return Number(text);
}

export function parseChoice<T extends string>(params: URLSearchParams, name: string, choices: readonly T[]): T {
  const value = params.get(name) ?? choices[0];
  if (!choices.includes(value as T)) throw invalid(`${name} should be one of: ${choices.join(', ')}`);
  return value as T;
}

/** Cursors are opaque to clients: base64url of the last id they saw. */
export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

export function parseCursor(params: URLSearchParams): number | undefined {
  const text = params.get('cursor');
  if (text === null) return undefined;
  const match = /^id:(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (!match) throw invalid('cursor is invalid: pass back the next_cursor of a previous answer unchanged');
  return Number(match[1]);
}

export function parseBucket(params: URLSearchParams): number | undefined {
  const text = params.get('bucket');
  if (text === null) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 60_000) throw invalid('bucket should be a duration of at least a minute, such as "1h"');
  return ms;
}
