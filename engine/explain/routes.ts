/**
 * Why each route takes a record or not, in policy order. The classification test is the
 * router's own trie lookup over the runtime plan, and the walk is the one Router.routesFor
 * makes (a test holds the two to the same answer), with the reason kept at every step.
 */
import { lookupTrie } from '../compile/classification-trie.js';
import type { RuntimePlan, RuntimeRoute } from '../compile/runtime-plan.js';
import type { RouteStep } from './explanation.js';
import { describeLimit } from './limits.js';
import type { PolicyPlaces } from './policy-places.js';

export type RouteVerdict =
  /** Matched: the record takes it. */
  | 'taken'
  /** Its classification pattern does not match. */
  | 'classification'
  /** The pattern matches but the severity is outside min_severity..max_severity. */
  | 'severity'
  /** It would match, but an earlier route without continue took the record. */
  | 'not_reached';

export interface RouteConsidered {
  readonly route: RuntimeRoute;
  readonly verdict: RouteVerdict;
  /** For not_reached: the route that stopped the walk. */
  readonly stoppedBy: string | null;
}

export function considerRoutes(plan: RuntimePlan, classification: string, severity: number): RouteConsidered[] {
  const matching = new Set(lookupTrie(plan.routeMatcher, classification));
  let stoppedBy: string | null = null;
  return plan.routes.map((route, index): RouteConsidered => {
    if (!matching.has(index)) return { route, verdict: 'classification', stoppedBy: null };
    if (severity < route.minSeverity || severity > route.maxSeverity) return { route, verdict: 'severity', stoppedBy: null };
    if (stoppedBy !== null) return { route, verdict: 'not_reached', stoppedBy };
    if (!route.continue) stoppedBy = route.name;
    return { route, verdict: 'taken', stoppedBy: null };
  });
}

export function takenRoutes(considered: readonly RouteConsidered[]): RuntimeRoute[] {
  return considered.filter((step) => step.verdict === 'taken').map((step) => step.route);
}

const SEVERITIES = [1, 2, 3, 4];

/** Every route with its place, limit and verdict; for an unknown severity (null) the verdict is null and `severities` tells. */
export function routeSteps(plan: RuntimePlan, places: PolicyPlaces, classification: string, severity: number | null): RouteStep[] {
  const bySeverity = SEVERITIES.map((level) => considerRoutes(plan, classification, level));
  const considered = severity === null ? null : considerRoutes(plan, classification, severity);
  return plan.routes.map((route, index) => {
    const step = considered?.[index];
    return {
      name: route.name,
      index,
      place: places.place(['routes', index]),
      classification: plan.policy.routes[index]?.match.classification ?? '*',
      minSeverity: route.minSeverity,
      maxSeverity: route.maxSeverity,
      continue: route.continue,
      to: route.to,
      verdict: step?.verdict ?? null,
      stoppedBy: step?.stoppedBy ?? null,
      severities: SEVERITIES.filter((_level, at) => bySeverity[at]?.[index]?.verdict === 'taken'),
      limit: route.limiter ? describeLimit(route.limiter) : null,
      limitPlace: route.limiter ? places.place(['routes', index, 'rate_limit']) : null,
    };
  });
}
