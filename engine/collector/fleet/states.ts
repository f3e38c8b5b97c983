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
