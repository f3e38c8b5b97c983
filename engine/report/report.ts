/**
 * `telem report`: what leaves this machine under a policy. For each destination: the routes that
 * feed it and the classifications and severities that can take them after allow, deny, the
 * severity floor and earlier routes; the fields it receives; the redactions; the most records
 * and payload bytes an hour its routes' rate limits let through; what is kept and where.
 */
import type { ResolvedPolicy, ResolvedRoute } from '../../schemas/resolved.js';
import { formatDuration } from '../../schemas/units.js';
import { compilePolicy } from '../compile/compile.js';
import type { RuntimeRoute } from '../compile/runtime-plan.js';
import type { ConsentStep } from '../explain/consent.js';
import { describeLimit } from '../explain/limits.js';
import type { PolicyRef } from '../explain/explanation.js';
import type { PolicyPlaces } from '../explain/policy-places.js';
import { globCovers } from '../pattern/glob.js';
import { globsMayMeet } from './overlap.js';
import { type Receives, receivesOf } from '../explain/receives.js';
import { type ProbeReport, reportProbes } from './probes.js';
import { type HourlyBound, hourlyBound, sumBounds } from './worst-case.js';

export const REPORT_FORMAT_VERSION = 1;

export interface PatternRef {
  readonly index: number;
  readonly pattern: string;
  readonly place: string | null;
}

export interface RouteReach {
  readonly name: string;
  readonly index: number;
  readonly place: string | null;
  readonly classification: string;
  /** Severities that can take the route after collection.min_severity; null when none can. */
  readonly severities: { readonly min: number; readonly max: number } | null;
  readonly allowedBy: readonly PatternRef[];
  /** Deny patterns that cover the whole route: nothing takes it. */
  readonly deniedBy: readonly PatternRef[];
  /** Deny patterns that take out part of it. */
  readonly except: readonly PatternRef[];
  /** Earlier routes without continue that take some of its records first. */
  readonly takenFirstBy: readonly string[];
  /** Why nothing can take it, or null when something can. */
  readonly never: string | null;
  readonly limit: string | null;
  readonly limitPlace: string | null;
  readonly perHour: HourlyBound;
}

export interface DestinationReport {
  readonly name: string;
  readonly place: string | null;
  readonly receives: Receives;
  readonly routes: readonly RouteReach[];
  /** Over the routes something can take; null fields mean no limit bounds them. */
  readonly perHour: HourlyBound;
  /** Where what it receives is kept. */
  readonly retention: string;
}

export interface PolicyReport {
  readonly policy: PolicyRef;
  readonly consent: ConsentStep;
  readonly redactions: readonly { readonly index: number; readonly pattern: string; readonly replace: string; readonly place: string | null }[];
  readonly maxPayload: number;
  /** The built-in probes the policy enables, and what becomes of their records. */
  readonly probes: readonly ProbeReport[];
  readonly destinations: readonly DestinationReport[];
  readonly retention: {
    readonly journal: string;
    readonly journalEntries: number;
    readonly keepPayloads: number;
    readonly payloadDir: string;
    readonly spoolExpiry: string;
    readonly spoolMaxSize: number | null;
  };
  readonly notes: readonly string[];
}

function refs(policy: ResolvedPolicy, places: PolicyPlaces, list: 'allow' | 'deny', keep: (pattern: string) => boolean): PatternRef[] {
  return policy.collection[list].flatMap((pattern, index) => (keep(pattern) ? [{ index, pattern, place: places.place(['collection', list, index]) }] : []));
}

function reach(policy: ResolvedPolicy, places: PolicyPlaces, compiled: RuntimeRoute, route: ResolvedRoute, maxPayload: number, neverTaken: ReadonlySet<string>): RouteReach {
  const pattern = route.match.classification;
  const min = Math.max(policy.collection.min_severity, route.match.min_severity);
  const max = route.match.max_severity;
  const severities = min <= max ? { min, max } : null;
  const allowedBy = refs(policy, places, 'allow', (allow) => globsMayMeet(allow, pattern));
  const deniedBy = refs(policy, places, 'deny', (deny) => globCovers(deny, pattern));
  const except = refs(policy, places, 'deny', (deny) => !globCovers(deny, pattern) && globsMayMeet(deny, pattern));
  const range = severities ?? { min, max: min - 1 };
  // Earlier routes without continue that some of its records meet first; one that covers it all leaves it nothing.
  const earlier = policy.routes
    .slice(0, route.index)
    .filter(
      (other) =>
        severities !== null &&
        !other.continue &&
        !neverTaken.has(other.name) &&
        other.match.min_severity <= range.max &&
        other.match.max_severity >= range.min &&
        globsMayMeet(other.match.classification, pattern),
    );
  const shadow = earlier.find((other) => other.match.min_severity <= range.min && other.match.max_severity >= range.max && globCovers(other.match.classification, pattern));
  const denied = deniedBy[0];
  let never: string | null = null;
  if (severities === null) never = `no severity: collection.min_severity ${policy.collection.min_severity}, route severities ${route.match.min_severity}-${max}`;
  else if (allowedBy.length === 0) never = 'no collection.allow pattern matches its classification';
  else if (denied) never = `collection.deny "${denied.pattern}" covers its classification`;
  else if (shadow) never = `route ${shadow.name} before it takes every record it would`;
  return {
    name: route.name,
    index: route.index,
    place: places.place(['routes', route.index]),
    classification: pattern,
    severities,
    allowedBy,
    deniedBy,
    except,
    takenFirstBy: earlier.map((other) => other.name),
    never,
    limit: compiled.limiter ? describeLimit(compiled.limiter) : null,
    limitPlace: compiled.limiter ? places.place(['routes', route.index, 'rate_limit']) : null,
    perHour: never === null ? hourlyBound(compiled.limiter, maxPayload) : { records: 0, bytes: 0 },
  };
}

function destinationRetention(receives: Receives, policy: ResolvedPolicy): string {
  if (receives.type === 'http') return 'kept by the collector, under its own retention (not set by this policy)';
  if (receives.type === 'file') return `kept in ${receives.target ?? '?'} until removed (telem does not prune it)`;
  return `a journal line (the last ${policy.retention.journal_entries} are kept) and the payload (the last ${policy.retention.keep_payloads})`;
}

export function reportPolicy(policy: ResolvedPolicy, places: PolicyPlaces, consent: ConsentStep): PolicyReport {
  const plan = compilePolicy(policy);
  const maxPayload = plan.collection.maxPayload;
  // In order, so a route that nothing takes is not said to take records before later ones.
  const neverTaken = new Set<string>();
  const reaches = policy.routes.map((route) => {
    const reached = reach(policy, places, plan.routes[route.index] as RuntimeRoute, route, maxPayload, neverTaken);
    if (reached.never !== null) neverTaken.add(route.name);
    return reached;
  });
  const destinations = Object.values(policy.destinations).map((destination): DestinationReport => {
    const receives = receivesOf(destination);
    const routes = reaches.filter((_reach, index) => policy.routes[index]?.to.includes(destination.name));
    return {
      name: destination.name,
      place: places.place(['destinations', destination.name]),
      receives,
      routes,
      perHour: sumBounds(routes.filter((route) => route.never === null).map((route) => route.perHour)),
      retention: destinationRetention(receives, policy),
    };
  });
  const notes = [
    'bytes per hour count payload bytes (after redaction); each record also carries its fields and, over HTTP, a request head',
    'a route over its limit with when_exceeded: spool sends the rest later, so the hourly bound holds either way',
  ];
  if (policy.routes.length === 0) notes.push('no routes: every record is dropped (no_route), nothing leaves');
  return {
    policy: { name: policy.metadata.name, revision: policy.metadata.revision, source: policy.source },
    consent,
    redactions: policy.collection.redact.map((rule, index) => ({ index, pattern: rule.pattern, replace: rule.replace, place: places.place(['collection', 'redact', index]) })),
    maxPayload,
    probes: reportProbes(plan, places),
    destinations,
    retention: {
      journal: policy.retention.journal,
      journalEntries: policy.retention.journal_entries,
      keepPayloads: policy.retention.keep_payloads,
      payloadDir: policy.retention.payload_dir,
      spoolExpiry: formatDuration(policy.spool.expiry),
      spoolMaxSize: policy.spool.max_size,
    },
    notes,
  };
}
