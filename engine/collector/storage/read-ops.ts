/**
 * The store's reads as named operations with plain-data arguments, so that the same call can
 * run in this thread or in a reader worker (storage/sqlite-read-worker.ts).
 */
import type { StoredRecord } from '../record/record.js';
import { fleetView } from './fleet-sql.js';
import type { ControlDocument, RolloutView } from '../fleet/rollout-views.js';
import { controlDocument, rolloutViews } from './rollout-sql.js';
import { type SqlReader, crashGroups, crashRules, getRecord, listRecords, recordStats } from './sql-reads.js';
import { crashGroupDetail } from './crash-groups-sql.js';
import { populationView } from './population-sql.js';
import type {
  CrashGroup,
  CrashGroupDetail,
  CrashGroupQuery,
  CrashRules,
  FleetQuery,
  FleetView,
  HiddenGroups,
  ListQuery,
  PopulationQuery,
  PopulationView,
  RecordFilter,
  RecordStats,
  RolloutQuery,
  StatsQuery,
} from './store.js';

export interface ReadOps {
  get: (id: number) => Promise<StoredRecord | null>;
  list: (query: ListQuery) => Promise<StoredRecord[]>;
  stats: (query: StatsQuery) => Promise<RecordStats>;
  population: (query: PopulationQuery) => Promise<PopulationView>;
  crashes: (filter: RecordFilter, limit: number, hidden?: HiddenGroups) => Promise<CrashGroup[]>;
  crashGroup: (query: CrashGroupQuery) => Promise<CrashGroupDetail | null>;
  crashRules: () => Promise<CrashRules>;
  fleet: (query: FleetQuery) => Promise<FleetView>;
  rollouts: (query: RolloutQuery) => Promise<RolloutView[]>;
  control: (channel: string) => Promise<ControlDocument>;
}

export type ReadOp = keyof ReadOps;
export type ReadCall = { [K in ReadOp]: { readonly op: K; readonly args: Parameters<ReadOps[K]> } }[ReadOp];

export function readOps(reader: SqlReader): ReadOps {
  return {
    get: (id) => getRecord(reader, id),
    list: (query) => listRecords(reader, query),
    stats: (query) => recordStats(reader, query),
    population: (query) => populationView(reader, query),
    crashes: (filter, limit, hidden) => crashGroups(reader, filter, limit, hidden),
    crashGroup: (query) => crashGroupDetail(reader, query),
    crashRules: () => crashRules(reader),
    fleet: (query) => fleetView(reader, query),
    rollouts: (query) => rolloutViews(reader, query),
    control: (channel) => controlDocument(reader, channel),
  };
}

export function runRead(ops: ReadOps, call: ReadCall): Promise<unknown> {
  return (ops[call.op] as (...args: unknown[]) => Promise<unknown>)(...call.args);
}
