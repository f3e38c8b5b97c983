/**
 * The staged-rollout views the collector serves (storage/rollout-sql.ts reads them): GET /api/fleet's
 * `rollouts` and the control document. Types only, importing nothing but fleet/states.ts: the web
 * UI's script imports them (lint/tsconfig.ui.json).
 */
import type { RolloutArm, RolloutGate, RolloutSpec, RolloutState } from './states.js';

/** A rollout is named by its channel and id. */
export interface RolloutKey {
  readonly channel: string;
  readonly id: string;
}

/** An arm's counters summed over its machines. */
export interface ArmCounters {
  readonly machines: number;
  readonly accepted: number;
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
  /** failed / (delivered + failed), null without requests. */
  readonly delivery_failure_ratio: number | null;
  /** dropped / accepted, null with nothing accepted. */
  readonly drop_ratio: number | null;
}

/** A rollout's halt as served: halted or not, why, when and by whom. */
export interface HaltState {
  readonly halted: boolean;
  readonly reason: string | null;
  readonly at: string | null;
  readonly by: string | null;
}

/** GET /fleet/<channel>/control: every rollout seen on the channel, halted or not. */
export interface ControlDocument {
  readonly format_version: 1;
  readonly channel: string;
  readonly rollouts: Readonly<Record<string, HaltState>>;
}

/** One step of a rollout as GET /api/fleet shows it. */
export interface RolloutStepView {
  readonly step: number;
  readonly percent: number;
  readonly max_failure_rate: number;
  readonly begins: string;
  readonly ends: string;
  /** Machines per arm and state in this step (candidate: took it in this step; stable: waiting while it was in force). */
  readonly machines: Readonly<Partial<Record<RolloutArm, Readonly<Partial<Record<RolloutState, number>>>>>>;
}

/** A failing gate as the machines reported it: how many, the highest value measured, the threshold. */
export interface RolloutGateView extends RolloutGate {
  readonly machines: number;
}

export interface RolloutView {
  readonly id: string;
  readonly channel: string;
  /** The rollout bundle's sequence (the highest reported). */
  readonly sequence: number | null;
  readonly machines: number;
  readonly start: string | null;
  readonly deadline: string | null;
  readonly steps: readonly RolloutStepView[];
  /** Machines whose status names no step (before the start). */
  readonly unstepped: Readonly<Partial<Record<RolloutState, number>>>;
  readonly gates: RolloutSpec['gates'] | null;
  readonly arms: Readonly<Record<RolloutArm, ArmCounters>>;
  readonly failing_gates: readonly RolloutGateView[];
  readonly halt: HaltState;
}
