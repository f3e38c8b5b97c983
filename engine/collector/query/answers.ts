/**
 * The JSON bodies of the query API's answers, for the endpoints (which build them) and the web UI's
 * script (which reads them, through JSDoc imports type-checked by `npm run lint`). Types only: this
 * module must not import anything that needs Node's types.
 */
import type { RecordJson } from '../record/record.js';
import type { RolloutView } from '../fleet/rollout-views.js';
import type { CrashGroup, CrashGroupDetail, CrashGroupNote, FleetGroup, FleetMachine, HiddenGroups, PopulationView, StoredSkipRule } from '../storage/store.js';

export type { RecordJson } from '../record/record.js';
export type { CrashGroup, CrashGroupNote, HiddenGroups, PopulationBucket, PopulationCounts, PopulationView, FleetGroup, FleetSequence, RecordStats, TimeBucket } from '../storage/store.js';
export type { FleetState, RolloutArm, RolloutState } from '../fleet/states.js';
export type { ArmCounters, ControlDocument, HaltState, RolloutGateView, RolloutStepView, RolloutView } from '../fleet/rollout-views.js';
export type { ColumnDescription, FieldDescription, FieldsAnswer, FilterDescription } from '../record/fields.js';

/** GET /api/records (format=json): one page, newest first. */
export interface RecordsPage {
  readonly records: readonly RecordJson[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly next_cursor: string | null;
}

/** GET /api/crashes. */
export interface CrashesAnswer {
  /** The classification patterns the groups were read with (query/api.ts CRASH_CLASSIFICATIONS unless the query named some). */
  readonly classification: readonly string[];
  /** Which groups are listed: exclude (the default) leaves out the hidden ones, include lists them marked, only lists them alone. */
  readonly hidden: HiddenGroups;
  readonly groups: readonly CrashGroup[];
}

/** GET /api/crash-groups/<signature>: one group's page (storage/store.ts CrashGroupDetail), its records as the API shows records. */
export interface CrashGroupAnswer extends Omit<CrashGroupDetail, 'representative' | 'records'> {
  /** The classification patterns the group's records were read with, as GET /api/crashes. */
  readonly classification: readonly string[];
  readonly representative: RecordJson | null;
  readonly records: readonly RecordJson[];
}

/** PUT /api/crash-groups/<signature>: the group's note as stored. */
export interface CrashGroupNoteAnswer extends CrashGroupNote {
  readonly signature: string;
}

/** GET /api/population: records and machines per build, OS, classification and machine, over creation time. */
export type PopulationAnswer = PopulationView;

/** The population of a fixed set of classifications, which it names. */
export interface ClassifiedPopulation extends PopulationView {
  readonly classification: readonly string[];
}

/** GET /api/machine-checks: machine-check (MCE) records, and thermal ones apart. */
export interface MachineChecksAnswer {
  readonly mce: ClassifiedPopulation;
  readonly thermal: ClassifiedPopulation;
}

/** A rule of the skip list, as GET and PUT /api/crash-rules answer it (created_at ISO 8601). */
export interface CrashRuleJson extends Omit<StoredSkipRule, 'created_at'> {
  readonly created_at: string;
}

/** GET /api/crash-rules: the skip list signatures are computed with, in order. */
export interface CrashRulesAnswer {
  readonly version: number;
  readonly rules: readonly CrashRuleJson[];
}

/** PUT /api/crash-rules: the list as stored, and how many stored records changed signature. */
export interface CrashRulesChangeAnswer extends CrashRulesAnswer {
  readonly regrouped: number;
}

/** A machine of GET /api/fleet: its latest status, with the record's creation time (seen_at) and reception time, ISO 8601. */
export interface FleetMachineJson extends Omit<FleetMachine, 'creation_timestamp' | 'received_at'> {
  readonly seen_at: string;
  readonly received_at: string;
}

/** GET /api/fleet: the latest status of each machine, by channel and sequence, and a page of machines. */
export interface FleetAnswer {
  readonly format_version: 1;
  /** Machines matching the filters; `machines` lists at most `limit` of them. */
  readonly total_machines: number;
  readonly channels: readonly FleetGroup[];
  readonly machines: readonly FleetMachineJson[];
  /** Staged rollouts heard of, the most recent first (storage/rollout-sql.ts). */
  readonly rollouts: readonly RolloutView[];
}

/** Every error: a message saying what went wrong. */
export interface ErrorAnswer {
  readonly message: string;
}

/** GET /api/session: who the request is logged in as (http/login.ts). */
export interface SessionAnswer {
  /** collector.auth. */
  readonly auth: 'tokens' | 'none';
  /** token: Authorization: Bearer; session: the browser's cookie; anonymous: collector.auth none. */
  readonly via: 'token' | 'session' | 'anonymous';
  /** The token's name; null when anonymous. */
  readonly name: string | null;
  readonly role: 'read' | 'admin';
  /** The session's value for the X-Telem-CSRF header of its state-changing requests; null outside a session. */
  readonly csrf: string | null;
  /** When the session ends unless used again, ISO 8601; null outside a session. */
  readonly expires_at: string | null;
}
