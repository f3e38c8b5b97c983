/** The one storage interface the collector uses; SQLite and PostgreSQL implement it. */
import type { AgentStatus, FleetState } from '../fleet/states.js';
import type { IncomingRecord, StoredRecord } from '../record/record.js';
import type { ControlDocument, HaltState, RolloutKey, RolloutView } from '../fleet/rollout-views.js';
import type { AuthStore } from './auth-store.js';
import type { SkipRule } from '../crash/skip-rules.js';

/** Filters named like the record fields; each list is "any of these". Times are ms. */
export interface RecordFilter {
  /** Words or phrases that must all occur in the payload (whole words, full-text index). */
  readonly q?: readonly string[];
  /** Classification patterns ("org.clearlinux/crash/*"), engine/pattern/glob.ts semantics. */
  readonly classification?: readonly string[];
  readonly severity?: readonly number[];
  /** Machine id prefixes (a whole id is its own prefix). */
  readonly machine_id?: readonly string[];
  readonly build?: readonly string[];
  readonly system_name?: readonly string[];
  readonly event_id?: readonly string[];
  readonly first_frame?: readonly string[];
  readonly signature?: readonly string[];
  /** received_at >= since */
  readonly since?: number;
  /** received_at < until */
  readonly until?: number;
  /** Created (the record's creation_timestamp) at or after this. */
  readonly created_since?: number;
  /** Created before this. */
  readonly created_until?: number;
}

export interface ListQuery {
  readonly filter: RecordFilter;
  /** Newest first; only records with a smaller id (the cursor). */
  readonly beforeId?: number;
  readonly limit: number;
}

export interface InsertResult {
  readonly record: StoredRecord;
  /** The same record (tenant, every header, payload: storage/rows.ts RECORD_KEY_FIELDS) was already stored. */
  readonly duplicate: boolean;
  /** A newly stored status record (fleet/states.ts) whose payload is not a status: why. It is stored; the fleet view skips it. */
  readonly invalid_status?: string;
  /** A newly stored status record of a staged rollout: which (the collector runs its halt rules). */
  readonly rollout?: RolloutKey;
}

export interface TimeBucket {
  /** Bucket start, ms since the epoch. */
  readonly start: number;
  readonly count: number;
  readonly by_severity: Readonly<Record<string, number>>;
  readonly by_classification: Readonly<Record<string, number>>;
}

export interface RecordStats {
  readonly total: number;
  /** Distinct machine ids. */
  readonly machines: number;
  readonly first_received: number | null;
  readonly last_received: number | null;
  readonly by_classification: readonly { readonly classification: string; readonly count: number }[];
  readonly by_severity: readonly { readonly severity: number; readonly count: number }[];
  /** Records and distinct machines (population) per build. */
  readonly by_build: readonly { readonly build: string; readonly count: number; readonly machines: number }[];
  readonly over_time: { readonly bucket_ms: number; readonly buckets: readonly TimeBucket[] };
}

export interface StatsQuery {
  readonly filter: RecordFilter;
  /** Bucket width for over_time; chosen from the time range when absent. */
  readonly bucketMs?: number;
}

export interface CrashGroup {
  /** What the group's records share (crash/signature.ts), or null for payloads without frames. */
  readonly signature: string | null;
  /** "function - [module]" of the first backtrace frame of the group's latest record (the one before signatures were). */
  readonly first_frame: string | null;
  readonly count: number;
  readonly machines: number;
  readonly builds: number;
  readonly first_received: number;
  readonly last_received: number;
  readonly latest_id: number;
  /** The operator's switch (PUT /api/crash-groups/<signature>): hidden groups are left out of the list unless asked for. */
  readonly hidden: boolean;
  readonly comment: string | null;
}

/** Which groups GET /api/crashes lists: those not hidden (the default), all, or the hidden ones only. */
export const HIDDEN_CHOICES = ['exclude', 'include', 'only'] as const;
export type HiddenGroups = (typeof HIDDEN_CHOICES)[number];

/** An operator's note on a crash group (migration 10); times in ms, null when nobody wrote one. */
export interface CrashGroupNote {
  readonly comment: string | null;
  readonly hidden: boolean;
  readonly updated_at: number | null;
  readonly updated_by: string | null;
}

/** A change of a note: what is left out stays as it was; an empty comment removes it. */
export interface CrashGroupNoteChange {
  readonly comment?: string | null;
  readonly hidden?: boolean;
  /** Who changed it (the token's name). */
  readonly by: string;
}

export interface CrashGroupQuery {
  readonly signature: string;
  /** The records of the group counted (the signature filter is the group's own). */
  readonly filter: RecordFilter;
  /** Bucket width of over_time; chosen from the span of creation times when absent. */
  readonly bucketMs?: number;
}

/** The page of one crash group. Times in ms; *_created from the records' creation_timestamp. */
export interface CrashGroupDetail {
  readonly signature: string;
  readonly note: CrashGroupNote;
  readonly count: number;
  readonly machines: number;
  readonly first_created: number | null;
  readonly last_created: number | null;
  readonly first_received: number | null;
  readonly last_received: number | null;
  /** Per OS and build, in version order, with when the group was first and last seen there. */
  readonly by_build: readonly {
    readonly system_name: string;
    readonly build: string;
    readonly count: number;
    readonly machines: number;
    readonly first_created: number;
    readonly last_created: number;
  }[];
  readonly by_classification: readonly { readonly classification: string; readonly count: number }[];
  /** The most affected machines first, at most crash-groups-sql.ts GROUP_MACHINES. */
  readonly by_machine: readonly { readonly machine_id: string; readonly count: number; readonly builds: number; readonly last_created: number }[];
  /** Records (and distinct machines) per bucket of creation time, empty buckets included. */
  readonly over_time: { readonly bucket_ms: number; readonly buckets: readonly { readonly start: number; readonly count: number; readonly machines: number }[] };
  /** The group's latest record; null when none matches the filters. */
  readonly representative: StoredRecord | null;
  /** Up to GROUP_RECORDS more, newest first. */
  readonly records: readonly StoredRecord[];
}

export interface PopulationQuery {
  readonly filter: RecordFilter;
  /** Bucket width of over_time; chosen from the span of creation times when absent. */
  readonly bucketMs?: number;
}

export interface PopulationCounts {
  readonly records: number;
  /** Distinct machines. */
  readonly machines: number;
}

/** A bucket of creation time: its records and machines, and per build, OS and classification (the 8 largest of each, the rest as "other"). */
export interface PopulationBucket extends PopulationCounts {
  readonly start: number;
  readonly by_build: Readonly<Record<string, PopulationCounts>>;
  readonly by_system: Readonly<Record<string, PopulationCounts>>;
  readonly by_classification: Readonly<Record<string, PopulationCounts>>;
}

/** Records and machines per build, OS, classification and machine, and over creation time (storage/population-sql.ts). Times in ms. */
export interface PopulationView extends PopulationCounts {
  readonly first_created: number | null;
  readonly last_created: number | null;
  readonly by_build: readonly (PopulationCounts & { readonly system_name: string; readonly build: string; readonly first_created: number; readonly last_created: number })[];
  readonly by_system: readonly (PopulationCounts & { readonly system_name: string })[];
  readonly by_classification: readonly (PopulationCounts & { readonly classification: string })[];
  /** The machines with the most records, at most 20. */
  readonly by_machine: readonly { readonly machine_id: string; readonly records: number; readonly builds: number; readonly last_created: number }[];
  readonly over_time: { readonly bucket_ms: number; readonly buckets: readonly PopulationBucket[] };
}

/** A stored skip rule, as GET /api/crash-rules lists it (created_at in ms). */
export interface StoredSkipRule {
  readonly pattern: string;
  readonly note: string | null;
  readonly created_at: number;
}

export interface CrashRules {
  /** Counted up by every change of the list (1: the list migration 8 seeded). */
  readonly version: number;
  readonly rules: readonly StoredSkipRule[];
}

export interface CrashRulesChange extends CrashRules {
  /** Records whose signature the new list changed. */
  readonly regrouped: number;
}

/** A migration an opening of the store applied, and what its backfill said it did. */
export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly note?: string;
  readonly ms: number;
}

export interface FleetQuery {
  /** Any of these channels (all when absent). */
  readonly channel?: readonly string[];
  /** Any of these states (all when absent). */
  readonly state?: readonly FleetState[];
  /** Machines listed at most (the groups count every machine). */
  readonly limit: number;
}

/** One machine's latest status (storage/fleet-sql.ts). Times in ms; creation_timestamp in seconds, as the record has it. */
export interface FleetMachine extends AgentStatus {
  readonly machine_id: string;
  readonly tenant: string;
  readonly creation_timestamp: number;
  readonly received_at: number;
}

export interface FleetSequence {
  /** null: machines running their local policy only. */
  readonly sequence: number | null;
  /** Machines running this sequence (active). */
  readonly machines: number;
  /** Of those, how many are in each state (states with none are left out). */
  readonly states: Readonly<Partial<Record<FleetState, number>>>;
  /** Why this sequence failed, on how many machines (their last_failed), most frequent first. */
  readonly failures: readonly { readonly reason: string; readonly machines: number }[];
}

export interface FleetGroup {
  readonly channel: string;
  /** Newest sequence first. */
  readonly sequences: readonly FleetSequence[];
}

export interface FleetView {
  /** Machines matching the query (every one, not only those listed). */
  readonly total_machines: number;
  readonly channels: readonly FleetGroup[];
  readonly machines: readonly FleetMachine[];
}

export interface RolloutQuery {
  /** Any of these channels (all when absent). */
  readonly channel?: readonly string[];
}

export interface RetentionRule {
  readonly classification?: string | undefined;
  readonly severity?: number | undefined;
  /** null keeps matching records forever (and exempts them from maxAgeMs). */
  readonly maxAgeMs: number | null;
}

export interface PurgePlan {
  readonly rules: readonly RetentionRule[];
  /** For records matching no rule; null keeps them. */
  readonly maxAgeMs: number | null;
}

export interface RecordStore {
  readonly backend: 'sqlite' | 'postgres';
  /** The migrations opening the store applied (none when the database was up to date), for the log. */
  readonly migrations: readonly AppliedMigration[];
  /** Stores records (one transaction); results in input order. Duplicates come back as the stored row. */
  insert(records: readonly IncomingRecord[]): Promise<InsertResult[]>;
  get(id: number): Promise<StoredRecord | null>;
  list(query: ListQuery): Promise<StoredRecord[]>;
  stats(query: StatsQuery): Promise<RecordStats>;
  /** Records and machines per build, OS, classification and machine, over creation time. */
  population(query: PopulationQuery): Promise<PopulationView>;
  /** Crash records grouped by signature, the largest group first. */
  crashes(filter: RecordFilter, limit: number, hidden?: HiddenGroups): Promise<CrashGroup[]>;
  /** One group's page; null when no record of the filter's classifications has the signature. */
  crashGroup(query: CrashGroupQuery): Promise<CrashGroupDetail | null>;
  /** Sets a group's comment or hidden switch; null when no stored record has the signature. */
  setCrashGroupNote(signature: string, change: CrashGroupNoteChange, now: number): Promise<CrashGroupNote | null>;
  /** The skip list signatures are computed with (migration 8), in order, and its version. */
  crashRules(): Promise<CrashRules>;
  /**
   * Replaces the skip list (checked first: a TelemError crash-rule-invalid names a bad rule), then
   * recomputes the signature of every stored record from its frames; answers how many changed.
   */
  replaceCrashRules(rules: readonly SkipRule[], now: number): Promise<CrashRulesChange>;
  /** The latest status of each machine (status records, migration 4), grouped by channel and sequence. */
  fleet(query: FleetQuery): Promise<FleetView>;
  /** Staged rollouts heard of (status records, migration 5), with steps, machines, counters, gates and halts. */
  rollouts(query: RolloutQuery): Promise<RolloutView[]>;
  /** The control document agents of `channel` poll (GET /fleet/<channel>/control). */
  control(channel: string): Promise<ControlDocument>;
  /** Runs the halt rules for these rollouts (after a batch of their status records is stored); the reasons of those it halted now. */
  evaluateRollouts(keys: readonly RolloutKey[], now: number): Promise<{ readonly key: RolloutKey; readonly reason: string }[]>;
  /** An operator's halt or resume of a rollout. */
  setRolloutHalt(key: RolloutKey, change: { readonly halted: boolean; readonly reason: string; readonly by: string }, now: number): Promise<HaltState>;
  /** API tokens and browser sessions (migration 9), on the writing connection. */
  readonly auth: AuthStore;
  /** Reads from the database, for /healthz: resolves when it answers, rejects with why it cannot. */
  ping(): Promise<void>;
  /** Deletes what the plan says is too old at `now` (ms); returns how many records went. */
  purge(plan: PurgePlan, now: number): Promise<number>;
  close(): Promise<void>;
}
