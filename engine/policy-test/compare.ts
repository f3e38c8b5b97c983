/** Checks a case's expectations against what became of its records. */
import { isDeepStrictEqual } from 'node:util';
import type { CaseExpect, RecordExpect, TestOutcome } from '../../schemas/policy-test.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { createRequestBuilder } from '../deliver/http-request.js';
import { recordJson } from '../deliver/record-json.js';
import type { ExpectationFailure } from './result.js';
import type { ObservedRecord, Settled } from './run-case.js';

const RECORD_KEYS = ['outcome', 'routes', 'destinations', 'payload', 'body', 'headers'] as const;
type RecordKey = (typeof RECORD_KEYS)[number];

/** The one outcome of a record, or each route's when they differ (which no single expected outcome matches). */
function outcomeOf(observed: ObservedRecord, policy: ResolvedPolicy): string {
  const distinct = [...new Set(observed.settled.map((settled) => settled.outcome))];
  if (distinct.length === 1) return distinct[0] as string;
  // In policy order (routes, then each route's destinations), not in the order the clock settled them.
  const route = (settled: Settled): number => policy.routeNames[settled.route ?? ''] ?? 0;
  const destination = (settled: Settled): number => policy.routes[route(settled)]?.to.indexOf(settled.destination ?? '') ?? 0;
  return [...observed.settled]
    .sort((a, b) => route(a) - route(b) || destination(a) - destination(b))
    .map((settled) => `${settled.outcome} (${settled.route ?? '-'} → ${settled.destination ?? '-'})`)
    .join(', ');
}

const sorted = (values: readonly string[]): string[] => [...values].sort();

/** What leaves the machine for a destination, or null when the record is not delivered there. */
function deliveredTo(observed: ObservedRecord, destination: string): boolean {
  return observed.settled.some((settled) => settled.destination === destination && (settled.outcome === 'delivered' || settled.outcome === 'deferred'));
}

/** The actual value for one record-level expectation, shaped like the expectation so the two compare (and diff) directly. */
function actualValue(key: RecordKey, expect: RecordExpect, observed: ObservedRecord, policy: ResolvedPolicy): { expected: unknown; actual: unknown } {
  const { decision } = observed;
  const routes = decision.kind === 'routed' ? decision.routes : [];
  switch (key) {
    case 'outcome':
      return { expected: expect.outcome, actual: outcomeOf(observed, policy) };
    case 'routes':
      return { expected: sorted(expect.routes ?? []), actual: sorted(routes.map((route) => route.name)) };
    case 'destinations':
      return { expected: sorted(expect.destinations ?? []), actual: sorted([...new Set(routes.flatMap((route) => route.to))]) };
    case 'payload':
      return { expected: expect.payload, actual: decision.kind === 'rejected' ? null : decision.record.payload.toString('utf8') };
    case 'body': {
      const actual: Record<string, unknown> = {};
      for (const [name, wanted] of Object.entries(expect.body ?? {})) {
        const body = decision.kind === 'routed' && deliveredTo(observed, name) ? recordJson(decision.record) : null;
        actual[name] = body === null || typeof wanted === 'string' ? body : JSON.parse(body);
      }
      return { expected: expect.body, actual };
    }
    case 'headers': {
      const actual: Record<string, unknown> = {};
      for (const [name, wanted] of Object.entries(expect.headers ?? {})) {
        const config = policy.destinations[name];
        if (decision.kind !== 'routed' || !deliveredTo(observed, name) || config?.type !== 'http') {
          actual[name] = null;
          continue;
        }
        const sent = createRequestBuilder(config)(decision.record).headers;
        const picked: Record<string, string | null> = {};
        for (const header of Object.keys(wanted)) {
          const value = sent.find(([sentName]) => sentName.toLowerCase() === header.toLowerCase())?.[1];
          // Request heads carry UTF-8 bytes one char per byte (latin1): read them back as text.
          picked[header] = value === undefined ? null : Buffer.from(value, 'latin1').toString('utf8');
        }
        actual[name] = picked;
      }
      return { expected: expect.headers, actual };
    }
  }
}

/** Record-level expectations over some records: the first record each fails for, and how many. */
function checkRecords(expect: RecordExpect, records: readonly ObservedRecord[], prefix: string, policy: ResolvedPolicy): ExpectationFailure[] {
  const failures: ExpectationFailure[] = [];
  for (const key of RECORD_KEYS) {
    if (expect[key] === undefined) continue;
    let first: (ExpectationFailure & { index: number }) | null = null;
    let failing = 0;
    for (const [index, observed] of records.entries()) {
      const { expected, actual } = actualValue(key, expect, observed, policy);
      if (isDeepStrictEqual(expected, actual)) continue;
      failing += 1;
      first ??= { path: `${prefix}${key}`, expected, actual, index };
    }
    if (first === null) continue;
    const { index, ...failure } = first;
    failures.push(records.length > 1 ? { ...failure, record: index + 1, failing, of: records.length } : failure);
  }
  return failures;
}

/** How many records end with each outcome; a record whose routes end differently counts once under each. */
function countOutcomes(records: readonly ObservedRecord[]): Partial<Record<TestOutcome, number>> {
  const counts: Partial<Record<TestOutcome, number>> = {};
  for (const observed of records) for (const outcome of new Set(observed.settled.map((settled) => settled.outcome))) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}

export function checkCase(expect: CaseExpect, records: readonly ObservedRecord[], policy: ResolvedPolicy): ExpectationFailure[] {
  const failures = checkRecords(expect, records, '', policy);
  if (expect.first) failures.push(...checkRecords(expect.first, records.slice(0, 1), 'first.', policy));
  if (expect.last) failures.push(...checkRecords(expect.last, records.slice(-1), 'last.', policy));
  if (expect.counts) {
    const actual = countOutcomes(records);
    const expected = Object.fromEntries(Object.entries(expect.counts).filter(([, count]) => count !== 0));
    if (!isDeepStrictEqual(expected, actual)) failures.push({ path: 'counts', expected: expect.counts, actual });
  }
  return failures;
}
