/**
 * What the fleet view knows of an agent's status record (fleet/status-payload.ts reads it).
 * No Node types and no imports here: the web UI's script imports this module's types
 * (lint/tsconfig.ui.json).
 */

/** The classification agents send their status records with. */
export const STATUS_CLASSIFICATION = 'org.telem/agent/status';

/** Where an agent is with its policy, in the order a change goes through them. */
export const FLEET_STATES = ['downloading', 'verifying', 'applying', 'applied', 'healthy', 'failed', 'rolled_back'] as const;
export type FleetState = (typeof FLEET_STATES)[number];

/** The part of a status payload the fleet view keeps. */
export interface AgentStatus {
  readonly agent_version: string;
  readonly channel: string;
  /** The bundle sequence the agent runs; null when it runs its local policy only (no fleet.source, or no bundle yet). */
  readonly active: number | null;
  readonly previous: number | null;
  /** The sequence it is moving to, if any. */
  readonly desired: number | null;
  readonly state: FleetState;
  readonly last_failed: { readonly sequence: number; readonly reason: string } | null;
}

/** A status record as read: the machine's status, what it counted, and its rollout. */
export interface StatusReport extends AgentStatus {
  /** The counters of the record (zeros when an older agent sent none). */
  readonly counters: StatusCounters;
  /** Where it is in a staged rollout; null without one. */
  readonly rollout: RolloutReport | null;
}

/** Where a machine is in a staged rollout (docs/rollout.md), by arm. */
export const ROLLOUT_ARMS = ['candidate', 'stable'] as const;
export type RolloutArm = (typeof ROLLOUT_ARMS)[number];
export const ROLLOUT_STATES = ['baking', 'healthy', 'rolled_back', 'failed', 'waiting', 'halted', 'expired'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** A gate that failed on a machine: its name, the measured value and the threshold (null for a halt). */
export interface RolloutGate {
  readonly name: string;
  readonly value: number | null;
  readonly threshold: number | null;
}

/** A rollout's steps and gates as the signed manifest has them (without the id). */
export interface RolloutSpec {
  readonly start: string;
  readonly deadline: string | null;
  readonly steps: readonly { readonly percent: number; readonly bake: number; readonly max_failure_rate: number; readonly begins: string }[];
  readonly gates: {
    readonly max_delivery_failure_ratio: number;
    readonly max_drops: Readonly<Record<string, number>>;
    readonly max_spool_growth: number;
    readonly max_restarts: number;
    readonly compare_factor: number;
  };
}

/** The rollout part of a status record. */
export interface RolloutReport {
  readonly id: string;
  readonly sequence: number;
  readonly arm: RolloutArm;
  readonly step: number | null;
  readonly state: RolloutState;
  readonly gate: RolloutGate | null;
  readonly spec: RolloutSpec;
}

/** What a status record counted since the one before it (dropped summed over reasons). */
export interface StatusCounters {
  readonly accepted: number;
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
}
