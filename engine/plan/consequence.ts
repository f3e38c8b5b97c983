/** What one change does to records, and the plan action that gathers a change's consequences. */
import { type PlanAction, type PlanChange, type PlanEntity, type PlanImpact, worstImpact } from './action.js';

export interface Consequence {
  readonly impact: PlanImpact;
  readonly reason: string;
}

export const loss = (reason: string): Consequence => ({ impact: 'data-loss', reason });
export const leak = (reason: string): Consequence => ({ impact: 'privacy', reason });
/** Worth saying, but neither loses records nor lets more leave. */
export const note = (reason: string): Consequence => ({ impact: 'neutral', reason });

export function action(kind: PlanAction['kind'], entity: PlanEntity, name: string, changes: readonly PlanChange[], consequences: readonly Consequence[]): PlanAction {
  return { kind, entity, name, changes, impact: worstImpact(consequences.map((c) => c.impact)), reason: consequences.map((c) => c.reason).join('; ') };
}
