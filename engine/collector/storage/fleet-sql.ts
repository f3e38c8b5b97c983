/**
 * The fleet table (migration 4): the latest status record of each machine, by tenant and machine
 * id. Written in the transaction that stores the records (sqlite-store.ts, postgres-store.ts), read
 * for GET /api/fleet. "Latest" is the highest creation_timestamp, then the highest record id (the
 * order records were stored in), so an older status arriving late never replaces a newer one.
 * Written once for both backends.
 */
import { STATUS_CLASSIFICATION, type FleetState } from '../fleet/states.js';
import { readStatusPayload } from '../fleet/status-payload.js';
import type { RolloutKey } from '../fleet/rollout-views.js';
import { type StoredStatus, rolloutKeys, rolloutStatements } from './rollout-sql.js';
import type { Row } from './rows.js';
import type { SqlReader } from './sql-reads.js';
import type { SqlStatement } from './sql-writes.js';
import type { FleetGroup, FleetMachine, FleetQuery, FleetView, InsertResult } from './store.js';

export const FLEET_TABLE = 'fleet_status';

/** Columns of the fleet table, in insert order. */
export const FLEET_COLUMNS = [
  'tenant',
  'machine_id',
  'channel',
  'active',
  'previous',
  'desired',
  'state',
  'last_failed_sequence',
  'last_failed_reason',
  'agent_version',
  'creation_timestamp',
  'received_at',
  'record_id',
] as const;

/**
 * How far a status's creation time may be ahead of its reception. A later creation time always
 * wins, so one status from a machine whose clock is years ahead would otherwise stand for that
 * machine until its clock got there.
 */
export const MAX_AHEAD_MS = 24 * 60 * 60 * 1000;

/** What storing a batch's status records does to the fleet table. */
export interface FleetUpdate {
  /** The upsert, or null when the batch has no valid status record. */
  readonly statement: SqlStatement | null;
  /** Stored status records (by record id) whose payload is not a status: why. */
  readonly invalid: ReadonlyMap<number, string>;
  /** The staged-rollout upserts (storage/rollout-sql.ts), run after `statement`. */
  readonly rollouts: readonly SqlStatement[];
  /** The rollout each status record belongs to (by record id), for the halt rules. */
  readonly touched: ReadonlyMap<number, RolloutKey>;
}

/**
 * The fleet upsert for newly stored rows (as RETURNING * gives them): each valid status record
 * is one machine's candidate, the latest of the batch per machine goes in, and the database keeps
 * whichever of it and the stored one is later. Rows go in machine order, so concurrent
 * transactions (PostgreSQL, several writers) lock machines in the same order.
 */
export function fleetUpdate(stored: readonly Row[]): FleetUpdate {
  const invalid = new Map<number, string>();
  const latest = new Map<string, unknown[]>();
  const statuses: StoredStatus[] = [];
  const at = (values: unknown[], column: (typeof FLEET_COLUMNS)[number]) => Number(values[FLEET_COLUMNS.indexOf(column)]);
  for (const row of stored) {
    if (row.classification !== STATUS_CLASSIFICATION) continue;
    const id = Number(row.id);
    if (Number(row.creation_timestamp) * 1000 > Number(row.received_at) + MAX_AHEAD_MS) {
      invalid.set(id, "its creation_timestamp is more than a day after the collector received it (the machine's clock is wrong)");
      continue;
    }
    const reading = readStatusPayload(String(row.payload));
    if (!reading.ok) {
      invalid.set(id, reading.reason);
      continue;
    }
    const { status } = reading;
    statuses.push({ row, status });
    const values = [
      row.tenant,
      row.machine_id,
      status.channel,
      status.active,
      status.previous,
      status.desired,
      status.state,
      status.last_failed?.sequence ?? null,
      status.last_failed?.reason ?? null,
      status.agent_version,
      Number(row.creation_timestamp),
      Number(row.received_at),
      id,
    ];
    const key = JSON.stringify([row.tenant, row.machine_id]);
    const seen = latest.get(key);
    const newer =
      !seen || at(values, 'creation_timestamp') > at(seen, 'creation_timestamp') || (at(values, 'creation_timestamp') === at(seen, 'creation_timestamp') && id > at(seen, 'record_id'));
    if (newer) latest.set(key, values);
  }
  const rollouts = rolloutStatements(statuses);
  const touched = rolloutKeys(statuses);
  if (latest.size === 0) return { statement: null, invalid, rollouts, touched };
  const rows = [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, values]) => values);
  const placeholders = `(${FLEET_COLUMNS.map(() => '?').join(', ')})`;
  const updates = FLEET_COLUMNS.filter((column) => column !== 'tenant' && column !== 'machine_id').map((column) => `${column} = excluded.${column}`);
  return {
    statement: {
      sql:
        `INSERT INTO ${FLEET_TABLE} (${FLEET_COLUMNS.join(', ')}) VALUES ${rows.map(() => placeholders).join(', ')} ` +
        `ON CONFLICT (tenant, machine_id) DO UPDATE SET ${updates.join(', ')} ` +
        `WHERE excluded.creation_timestamp > ${FLEET_TABLE}.creation_timestamp ` +
        `OR (excluded.creation_timestamp = ${FLEET_TABLE}.creation_timestamp AND excluded.record_id > ${FLEET_TABLE}.record_id)`,
      params: rows.flat(),
    },
    invalid,
    rollouts,
    touched,
  };
}

/** Channel × sequence × state groups, and failure reasons, read at most. */
const GROUP_LIMIT = 1000;
/** Failure reasons listed per sequence (the most frequent). */
const REASONS_PER_SEQUENCE = 20;

function fleetWhere(query: FleetQuery): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [column, values] of [
    ['channel', query.channel],
    ['state', query.state],
  ] as const) {
    if (values === undefined || values.length === 0) continue;
    parts.push(`${column} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function rowToMachine(row: Row): FleetMachine {
  const failed = nullableNumber(row.last_failed_sequence);
  return {
    machine_id: row.machine_id as string,
    tenant: row.tenant as string,
    channel: row.channel as string,
    active: nullableNumber(row.active),
    previous: nullableNumber(row.previous),
    desired: nullableNumber(row.desired),
    state: row.state as FleetState,
    last_failed: failed === null ? null : { sequence: failed, reason: (row.last_failed_reason as string | null) ?? '' },
    agent_version: row.agent_version as string,
    creation_timestamp: Number(row.creation_timestamp),
    received_at: Number(row.received_at),
  };
}

/**
 * The fleet by channel and sequence: machines per state on the sequence they run (active), the
 * reasons sequences failed with (counted on the sequence that failed, last_failed), and a page of
 * machines ordered by channel, sequence (newest first) and machine id.
 */
export async function fleetView(db: SqlReader, query: FleetQuery): Promise<FleetView> {
  const where = fleetWhere(query);
  const failedWhere = `${where.sql ? `${where.sql} AND` : 'WHERE'} last_failed_sequence IS NOT NULL`;
  const [states, failures, machines] = await Promise.all([
    db.all(
      `SELECT channel, active, state, COUNT(*) AS n FROM ${FLEET_TABLE} ${where.sql} GROUP BY channel, active, state ORDER BY channel, COALESCE(active, -1) DESC, state LIMIT ${GROUP_LIMIT}`,
      where.params,
    ),
    db.all(
      `SELECT channel, last_failed_sequence AS sequence, last_failed_reason AS reason, COUNT(*) AS n FROM ${FLEET_TABLE} ${failedWhere} ` +
        `GROUP BY channel, last_failed_sequence, last_failed_reason ORDER BY n DESC, reason LIMIT ${GROUP_LIMIT}`,
      where.params,
    ),
    db.all(`SELECT * FROM ${FLEET_TABLE} ${where.sql} ORDER BY channel, COALESCE(active, -1) DESC, machine_id, tenant LIMIT ?`, [...where.params, query.limit]),
  ]);

  const channels = new Map<string, Map<number | null, { machines: number; states: Partial<Record<FleetState, number>>; failures: { reason: string; machines: number }[] }>>();
  const group = (channel: string, sequence: number | null) => {
    let sequences = channels.get(channel);
    if (!sequences) channels.set(channel, (sequences = new Map()));
    let entry = sequences.get(sequence);
    if (!entry) sequences.set(sequence, (entry = { machines: 0, states: {}, failures: [] }));
    return entry;
  };
  let total = 0;
  for (const row of states) {
    const entry = group(row.channel as string, nullableNumber(row.active));
    const count = Number(row.n);
    entry.machines += count;
    entry.states[row.state as FleetState] = count;
    total += count;
  }
  for (const row of failures) {
    const entry = group(row.channel as string, Number(row.sequence));
    if (entry.failures.length < REASONS_PER_SEQUENCE) entry.failures.push({ reason: (row.reason as string | null) ?? '', machines: Number(row.n) });
  }
  const groups: FleetGroup[] = [...channels.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([channel, sequences]) => ({
      channel,
      // Newest sequence first; machines on their local policy only (null) last.
      sequences: [...sequences.entries()].sort(([a], [b]) => (b ?? -1) - (a ?? -1)).map(([sequence, entry]) => ({ sequence, ...entry })),
    }));
  return { total_machines: total, channels: groups, machines: machines.map(rowToMachine) };
}

/** The insert's results, each newly stored status record marked with why it is not a status, or the rollout it belongs to. */
export function withStatusOutcomes(results: InsertResult[], fleet: FleetUpdate): InsertResult[] {
  if (fleet.invalid.size === 0 && fleet.touched.size === 0) return results;
  return results.map((result) => {
    if (result.duplicate) return result;
    const reason = fleet.invalid.get(result.record.id);
    const rollout = fleet.touched.get(result.record.id);
    return { ...result, ...(reason === undefined ? {} : { invalid_status: reason }), ...(rollout === undefined ? {} : { rollout }) };
  });
}
