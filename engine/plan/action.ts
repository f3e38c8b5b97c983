/** What `telem plan` reports: the actions that turn one resolved policy into another, and what each does to records. */

export type PlanEntity = 'route' | 'destination' | 'collection' | 'probe' | 'consent' | 'intake' | 'spool' | 'retention' | 'fleet' | 'collector';

/**
 * data-loss: records that were delivered would now be dropped, expire or never be sent;
 * privacy: records (or parts of them) would newly leave the machine; neutral: neither.
 */
export type PlanImpact = 'data-loss' | 'privacy' | 'neutral';

export interface PlanChange {
  /** Key path inside the entity, such as "rate_limit.when_exceeded"; "order" for a route's position. */
  readonly path: string;
  /** Resolved values (durations in ms, sizes in bytes, rates as {limit, windowMs}); undefined when absent. */
  readonly before: unknown;
  readonly after: unknown;
}

export interface PlanAction {
  readonly kind: 'add' | 'change' | 'remove';
  readonly entity: PlanEntity;
  /** The route, destination or probe name; the section name for the singleton sections. */
  readonly name: string;
  readonly changes: readonly PlanChange[];
  /** The worst impact of its changes. */
  readonly impact: PlanImpact;
  /** What it does to records, its consequences joined by "; "; empty when there is nothing to say. */
  readonly reason: string;
}

const RANK: Readonly<Record<PlanImpact, number>> = { neutral: 0, privacy: 1, 'data-loss': 2 };

export function worstImpact(impacts: readonly PlanImpact[]): PlanImpact {
  return impacts.reduce<PlanImpact>((worst, impact) => (RANK[impact] > RANK[worst] ? impact : worst), 'neutral');
}

/** How plans mark each kind of action, as terraform does. */
export const PLAN_SYMBOL: Readonly<Record<PlanAction['kind'], string>> = { add: '+', change: '~', remove: '-' };
