/**
 * Where one machine is in a staged rollout (docs/rollout.md), as the fleet state keeps it, and the
 * decision the fleet client takes at each poll and step: take the bundle, wait, or hold. Pure; the
 * client does the applying and rolling back.
 */
import { inCohort } from '../fleet/cohort.js';
import type { DataCounters, GateResult } from '../fleet/gates.js';
import { type ManifestRollout, pastDeadline, stepAt } from '../fleet/rollout.js';

export type RolloutArm = 'candidate' | 'stable';
export type RolloutState = 'baking' | 'healthy' | 'rolled_back' | 'failed' | 'waiting' | 'halted' | 'expired';

/** A bake in progress, kept across restarts so a restart neither resets nor ends it. */
export interface BakeWindow {
  readonly began: string;
  readonly endsAt: string;
  /** Spool bytes when the bake began. */
  readonly spoolAtBegin: number;
  /** What was counted during the bake up to the last check (the agent's counters start again at each start). */
  readonly counted: DataCounters;
  /** Agent starts during the bake. */
  readonly restarts: number;
}

export interface RolloutProgress {
  readonly id: string;
  readonly sequence: number;
  readonly arm: RolloutArm;
  /** Candidate: the step it took the bundle in; stable: the step in force when last decided. */
  readonly step: number | null;
  readonly state: RolloutState;
  readonly gate: GateResult | null;
  readonly bake: BakeWindow | null;
  readonly spec: ManifestRollout;
}

/** A machine's place in a rollout as its status record tells it (docs/rollout.md): never its bucket. */
export interface RolloutStatus {
  readonly id: string;
  readonly sequence: number;
  readonly arm: RolloutArm;
  readonly step: number | null;
  readonly state: RolloutState;
  readonly gate: GateResult | null;
  /** The manifest's rollout without its id. */
  readonly spec: Omit<ManifestRollout, 'id'>;
}

/** The status of `progress` at `now`: the stable arm reports the step in force now, the candidate the step it took the bundle in. */
export function rolloutStatus(progress: RolloutProgress | null, now: number): RolloutStatus | null {
  if (progress === null) return null;
  const { id, ...spec } = progress.spec;
  const step = progress.arm === 'stable' ? stepAt(progress.spec, now) : progress.step;
  return { id, sequence: progress.sequence, arm: progress.arm, step, state: progress.state, gate: progress.gate, spec };
}

export const NO_COUNTS: DataCounters = { delivered: 0, failed: 0, dropped: {} };

export type RolloutDecision =
  | { readonly kind: 'take'; readonly step: number }
  | { readonly kind: 'hold'; readonly state: 'waiting' | 'halted' | 'expired'; readonly step: number | null }
  /** Running the candidate and the rollout is halted: roll back. */
  | { readonly kind: 'roll-back' }
  /** Running the candidate (baking or healthy), or rolled back by a gate: nothing to do. */
  | { readonly kind: 'stay' };

/** What a machine in `bucket` does about `progress` at `now`, given whether the rollout is halted. */
export function decide(progress: RolloutProgress, options: { readonly bucket: number; readonly now: number; readonly halted: boolean; readonly blocked: boolean }): RolloutDecision {
  const { spec } = progress;
  const onCandidate = progress.arm === 'candidate' && (progress.state === 'baking' || progress.state === 'healthy');
  if (onCandidate) return options.halted ? { kind: 'roll-back' } : { kind: 'stay' };
  // Rolled back by a gate, or refused: that sequence is never taken again.
  if (options.blocked || (progress.arm === 'candidate' && progress.state === 'failed')) return { kind: 'stay' };
  const step = stepAt(spec, options.now);
  // A machine a halt rolled back keeps saying so while the halt lasts.
  if (options.halted) return progress.state === 'rolled_back' ? { kind: 'stay' } : { kind: 'hold', state: 'halted', step };
  if (pastDeadline(spec, options.now)) return { kind: 'hold', state: 'expired', step };
  if (step === null) return { kind: 'hold', state: 'waiting', step };
  const percent = spec.steps[step]?.percent ?? 0;
  return inCohort(options.bucket, percent) ? { kind: 'take', step } : { kind: 'hold', state: 'waiting', step };
}
