/** Compile time of a 1,000-route policy, and routing decisions per second on it. */
import { compilePolicy } from '../../engine/compile/compile.js';
import { RECORD_HEADERS, type RecordHeaders, type TelemetryRecord } from '../../engine/record/fields.js';
import { Router } from '../../engine/route/router.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

export function largePolicy(routeCount: number): unknown {
  const routes = Array.from({ length: routeCount }, (_, index) => ({
    name: `route-${index}`,
    match: { classification: `org.vendor${index % 50}/probe${index}/*`, min_severity: 1 + (index % 4) },
    to: [index % 2 === 0 ? 'central' : 'archive'],
    ...(index % 3 === 0 ? { rate_limit: { records: '100/15m', when_exceeded: 'spool' } } : {}),
  }));
  return {
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'bench', revision: 1 },
    destinations: { central: { type: 'http', url: 'http://127.0.0.1:9/v3/collector' }, archive: { type: 'file', path: '/tmp/archive.ndjson' } },
    routes: [...routes, { name: 'default', match: { classification: '*' }, to: ['central'] }],
  };
}

/** Raw floor for compiling: one JSON round trip of the same policy (touching every value once). */
export function measureJsonRoundTrip(routeCount: number, repeats: number): number {
  const value = largePolicy(routeCount);
  let best = Infinity;
  for (let round = 0; round < repeats; round += 1) {
    const started = performance.now();
    JSON.parse(JSON.stringify(value));
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Raw floor for routing: a plain Map lookup per record, as if routes were known in advance. */
export function measureMapLookups(decisions: number): { perSecond: number } {
  const table = new Map(Array.from({ length: 1200 }, (_, index) => [`org.vendor${index % 60}/probe${index}/event`, index]));
  const keys = [...table.keys()];
  let hits = 0;
  const started = performance.now();
  for (let index = 0; index < decisions; index += 1) hits += table.get(keys[index % keys.length] as string) === undefined ? 0 : 1;
  if (hits === 0) throw new Error('unreachable');
  return { perSecond: decisions / ((performance.now() - started) / 1000) };
}

export function measureCompile(routeCount: number, repeats: number): { compileMs: number; validateAndCompileMs: number } {
  const value = largePolicy(routeCount);
  const resolved = validatePolicyValue(value).policy;
  if (!resolved) throw new Error('the benchmark policy does not validate');
  let best = Infinity;
  let bestFull = Infinity;
  for (let round = 0; round < repeats; round += 1) {
    let started = performance.now();
    compilePolicy(resolved);
    best = Math.min(best, performance.now() - started);
    started = performance.now();
    const again = validatePolicyValue(value).policy;
    if (again) compilePolicy(again);
    bestFull = Math.min(bestFull, performance.now() - started);
  }
  return { compileMs: best, validateAndCompileMs: bestFull };
}

export function measureRouting(routeCount: number, decisions: number): { perSecond: number } {
  const resolved = validatePolicyValue(largePolicy(routeCount)).policy;
  if (!resolved) throw new Error('the benchmark policy does not validate');
  const router = new Router(compilePolicy(resolved));
  const records: TelemetryRecord[] = Array.from({ length: 2000 }, (_, index) => {
    const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, 'x'])) as Record<string, string>;
    headers.classification = `org.vendor${index % 60}/probe${index % 1200}/event${index % 7}`;
    headers.severity = String(1 + (index % 4));
    return { headers: headers as RecordHeaders, payload: Buffer.from('hello') };
  });
  const started = performance.now();
  for (let index = 0; index < decisions; index += 1) router.decide(records[index % records.length] as TelemetryRecord);
  return { perSecond: decisions / ((performance.now() - started) / 1000) };
}
