/**
 * Staged rollouts as the collector sees them (docs/rollout.md, migration 5), written once for both
 * backends: per machine and rollout the latest rollout fields of its status records, per machine,
 * rollout and arm the counters summed over them, and per channel and rollout the halt. The halt
 * rules run after each stored batch (http/rollout-evaluator.ts calls evaluateRollout); the
 * control document and GET /api/fleet read the same tables.
 */
import type { ArmCounters, ControlDocument, HaltState, RolloutKey, RolloutView } from '../fleet/rollout-views.js';
import type { RolloutArm, RolloutSpec, RolloutState, StatusReport } from '../fleet/states.js';
import type { Row } from './rows.js';
import type { SqlReader } from './sql-reads.js';
import type { SqlStatement } from './sql-writes.js';
import type { RecordStore } from './store.js';

export const ROLLOUT_MACHINES = 'fleet_rollout_machines';
export const ROLLOUT_COUNTERS = 'fleet_rollout_counters';
export const ROLLOUT_HALTS = 'fleet_rollout_halts';

const MACHINE_COLUMNS = [
  'tenant',
  'machine_id',
  'rollout_id',
  'channel',
  'sequence',
  'arm',
  'step',
  'state',
  'gate_name',
  'gate_value',
  'gate_threshold',
  'spec',
  'creation_timestamp',
  'received_at',
  'record_id',
  'state_since',
] as const;
const COUNTER_COLUMNS = ['tenant', 'machine_id', 'rollout_id', 'arm', 'channel', 'accepted', 'delivered', 'failed', 'dropped'] as const;

/** The candidate arm's counters weigh against the stable arm's only once it made this many delivery requests (as an agent's gate). */
export const MIN_ARM_REQUESTS = 20;
/** Below this the arm comparison never halts, whatever the stable arm's rate (a stable arm at 0 would make any failure "infinitely worse"). */
export const MIN_HALTING_RATIO = 0.01;
/** Rollouts listed by GET /api/fleet at most, the most recently heard of first. */
const ROLLOUTS_LISTED = 50;
/** Rollouts a control document lists at most. */
const CONTROL_LIMIT = 1000;

/** A status record stored in this batch, read. */
export interface StoredStatus {
  readonly row: Row;
  readonly status: StatusReport;
}

/** Reads and single-statement writes on the writing connection. */
export interface SqlExecutor extends SqlReader {
  /** Runs a statement returning no rows; how many rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
}

/**
 * The arm whose counters a status record adds to: the candidate while the machine runs the
 * candidate (baking or healthy), the stable arm while it waits; a machine rolled back or failed
 * is counted by the step rule instead, its later records (back on the old policy) by neither.
 */
function countedArm(report: NonNullable<StatusReport['rollout']>): RolloutArm | null {
  if (report.arm === 'stable') return 'stable';
  return report.state === 'baking' || report.state === 'healthy' ? 'candidate' : null;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The upserts for a batch's status records that carry a rollout: the latest record per machine
 * and rollout wins (as in the fleet table), counters add up. Rows go in key order, so concurrent
 * writers lock them in the same order.
 */
export function rolloutStatements(statuses: readonly StoredStatus[]): SqlStatement[] {
  const latest = new Map<string, unknown[]>();
  const sums = new Map<string, unknown[]>();
  const column = (values: unknown[], name: (typeof MACHINE_COLUMNS)[number]) => Number(values[MACHINE_COLUMNS.indexOf(name)]);
  for (const { row, status } of statuses) {
    const report = status.rollout;
    if (report === null) continue;
    const values = [
      row.tenant,
      row.machine_id,
      report.id,
      status.channel,
      report.sequence,
      report.arm,
      report.step,
      report.state,
      report.gate?.name ?? null,
      report.gate?.value ?? null,
      report.gate?.threshold ?? null,
      JSON.stringify(report.spec),
      Number(row.creation_timestamp),
      Number(row.received_at),
      Number(row.id),
      Number(row.received_at),
    ];
    const key = JSON.stringify([row.tenant, row.machine_id, report.id]);
    const seen = latest.get(key);
    const newer =
      !seen ||
      column(values, 'creation_timestamp') > column(seen, 'creation_timestamp') ||
      (column(values, 'creation_timestamp') === column(seen, 'creation_timestamp') && column(values, 'record_id') > column(seen, 'record_id'));
    if (newer) latest.set(key, values);

    const arm = countedArm(report);
    if (arm === null) continue;
    const counterKey = JSON.stringify([row.tenant, row.machine_id, report.id, arm]);
    const sum = sums.get(counterKey) ?? [row.tenant, row.machine_id, report.id, arm, status.channel, 0, 0, 0, 0];
    const { accepted, delivered, failed, dropped } = status.counters;
    sums.set(counterKey, [...sum.slice(0, 5), Number(sum[5]) + accepted, Number(sum[6]) + delivered, Number(sum[7]) + failed, Number(sum[8]) + dropped]);
  }
  const statements: SqlStatement[] = [];
  if (latest.size > 0) {
    const rows = [...latest.entries()].sort(([a], [b]) => compareText(a, b)).map(([, values]) => values);
    const table = ROLLOUT_MACHINES;
    const newer = `excluded.creation_timestamp > ${table}.creation_timestamp OR (excluded.creation_timestamp = ${table}.creation_timestamp AND excluded.record_id > ${table}.record_id)`;
    const updates = MACHINE_COLUMNS.filter((name) => !['tenant', 'machine_id', 'rollout_id', 'state_since'].includes(name)).map((name) => `${name} = excluded.${name}`);
    // state_since: when the machine entered its (arm, state), so a resume can ignore failures from before it.
    updates.push(`state_since = CASE WHEN excluded.state = ${table}.state AND excluded.arm = ${table}.arm THEN ${table}.state_since ELSE excluded.state_since END`);
    statements.push({
      sql:
        `INSERT INTO ${table} (${MACHINE_COLUMNS.join(', ')}) VALUES ${rows.map(() => `(${MACHINE_COLUMNS.map(() => '?').join(', ')})`).join(', ')} ` +
        `ON CONFLICT (tenant, machine_id, rollout_id) DO UPDATE SET ${updates.join(', ')} WHERE ${newer}`,
      params: rows.flat(),
    });
  }
  if (sums.size > 0) {
    const rows = [...sums.entries()].sort(([a], [b]) => compareText(a, b)).map(([, values]) => values);
    const table = ROLLOUT_COUNTERS;
    statements.push({
      sql:
        `INSERT INTO ${table} (${COUNTER_COLUMNS.join(', ')}) VALUES ${rows.map(() => `(${COUNTER_COLUMNS.map(() => '?').join(', ')})`).join(', ')} ` +
        `ON CONFLICT (tenant, machine_id, rollout_id, arm) DO UPDATE SET ` +
        ['accepted', 'delivered', 'failed', 'dropped'].map((name) => `${name} = ${table}.${name} + excluded.${name}`).join(', '),
      params: rows.flat(),
    });
  }
  return statements;
}

/** The rollout each status record of a batch belongs to, by record id. */
export function rolloutKeys(statuses: readonly StoredStatus[]): Map<number, RolloutKey> {
  const keys = new Map<number, RolloutKey>();
  for (const { row, status } of statuses) if (status.rollout) keys.set(Number(row.id), { channel: status.channel, id: status.rollout.id });
  return keys;
}

type Sums = Pick<ArmCounters, 'accepted' | 'delivered' | 'failed' | 'dropped'>;
const NO_SUMS: Sums = { accepted: 0, delivered: 0, failed: 0, dropped: 0 };

function withRatios(machines: number, sums: Sums): ArmCounters {
  const requests = sums.delivered + sums.failed;
  return { machines, ...sums, delivery_failure_ratio: requests > 0 ? sums.failed / requests : null, drop_ratio: sums.accepted > 0 ? sums.dropped / sums.accepted : null };
}

const subtract = (a: Sums, b: Sums): Sums => ({
  accepted: Math.max(0, a.accepted - b.accepted),
  delivered: Math.max(0, a.delivered - b.delivered),
  failed: Math.max(0, a.failed - b.failed),
  dropped: Math.max(0, a.dropped - b.dropped),
});

async function armSums(db: SqlReader, key: RolloutKey): Promise<Record<RolloutArm, { machines: number; sums: Sums }>> {
  const rows = await db.all(
    `SELECT arm, COUNT(*) AS machines, SUM(accepted) AS accepted, SUM(delivered) AS delivered, SUM(failed) AS failed, SUM(dropped) AS dropped ` +
      `FROM ${ROLLOUT_COUNTERS} WHERE channel = ? AND rollout_id = ? GROUP BY arm`,
    [key.channel, key.id],
  );
  const out = { candidate: { machines: 0, sums: NO_SUMS }, stable: { machines: 0, sums: NO_SUMS } };
  for (const row of rows) {
    const arm = row.arm as RolloutArm;
    if (arm !== 'candidate' && arm !== 'stable') continue;
    out[arm] = { machines: Number(row.machines), sums: { accepted: Number(row.accepted), delivered: Number(row.delivered), failed: Number(row.failed), dropped: Number(row.dropped) } };
  }
  return out;
}

function parseBaseline(text: unknown): Record<RolloutArm, Sums> {
  const empty = { candidate: NO_SUMS, stable: NO_SUMS };
  if (typeof text !== 'string') return empty;
  try {
    const parsed = JSON.parse(text) as Partial<Record<RolloutArm, Partial<Sums>>>;
    const arm = (name: RolloutArm): Sums => ({ ...NO_SUMS, ...parsed[name] });
    return { candidate: arm('candidate'), stable: arm('stable') };
  } catch {
    return empty;
  }
}

async function haltRow(db: SqlReader, key: RolloutKey): Promise<Row | undefined> {
  return (await db.all(`SELECT * FROM ${ROLLOUT_HALTS} WHERE channel = ? AND rollout_id = ?`, [key.channel, key.id]))[0];
}

async function latestSpec(db: SqlReader, key: RolloutKey): Promise<RolloutSpec | null> {
  const [row] = await db.all(`SELECT spec FROM ${ROLLOUT_MACHINES} WHERE channel = ? AND rollout_id = ? ORDER BY received_at DESC, record_id DESC LIMIT 1`, [key.channel, key.id]);
  return row ? (JSON.parse(String(row.spec)) as RolloutSpec) : null;
}

const percent = (ratio: number) => `${Math.round(ratio * 10_000) / 100}%`;

/** Why the rollout should halt now (docs/rollout.md "The collector"), or null. Counts only what came after the last resume. */
export async function haltReason(db: SqlReader, key: RolloutKey, spec: RolloutSpec, halt: Row | undefined): Promise<string | null> {
  const resumedAt = halt?.resumed_at === null || halt?.resumed_at === undefined ? -1 : Number(halt.resumed_at);
  const steps = await db.all(
    `SELECT step, COUNT(*) AS machines, SUM(CASE WHEN (state = 'failed' OR (state = 'rolled_back' AND (gate_name IS NULL OR gate_name <> 'halt'))) AND state_since > ? THEN 1 ELSE 0 END) AS bad ` +
      `FROM ${ROLLOUT_MACHINES} WHERE channel = ? AND rollout_id = ? AND arm = 'candidate' AND step IS NOT NULL GROUP BY step ORDER BY step`,
    [resumedAt, key.channel, key.id],
  );
  for (const row of steps) {
    const step = Number(row.step);
    const machines = Number(row.machines);
    const bad = Number(row.bad);
    const allowed = spec.steps[step]?.max_failure_rate;
    if (allowed === undefined || bad === 0 || bad / machines <= allowed) continue;
    return `step ${step}: ${bad} of ${machines} machines failed or rolled back (${percent(bad / machines)} > max_failure_rate ${percent(allowed)})`;
  }
  const arms = await armSums(db, key);
  const baseline = parseBaseline(halt?.baseline);
  const candidate = withRatios(arms.candidate.machines, subtract(arms.candidate.sums, baseline.candidate));
  const stable = withRatios(arms.stable.machines, subtract(arms.stable.sums, baseline.stable));
  const factor = spec.gates.compare_factor;
  const comparisons = [
    {
      name: 'delivery failure ratio',
      candidate: candidate.delivery_failure_ratio,
      stable: stable.delivery_failure_ratio,
      enough: candidate.delivered + candidate.failed >= MIN_ARM_REQUESTS,
    },
    { name: 'drop ratio', candidate: candidate.drop_ratio, stable: stable.drop_ratio, enough: candidate.accepted >= MIN_ARM_REQUESTS },
  ];
  for (const comparison of comparisons) {
    // Without data from the stable arm (a 100% step, or no stable machine reporting yet) there is nothing to compare with.
    if (!comparison.enough || comparison.candidate === null || comparison.stable === null) continue;
    if (comparison.candidate > MIN_HALTING_RATIO && comparison.candidate > comparison.stable * factor) {
      return `candidate ${comparison.name} ${percent(comparison.candidate)} > stable ${percent(comparison.stable)} × compare_factor ${factor}`;
    }
  }
  return null;
}

/** Runs the halt rules for one rollout; the reason when this call halted it (not when it already was). */
export async function evaluateRollout(db: SqlExecutor, key: RolloutKey, now: number): Promise<string | null> {
  const halt = await haltRow(db, key);
  if (halt && Number(halt.halted) === 1) return null;
  const spec = await latestSpec(db, key);
  if (spec === null) return null;
  const reason = await haltReason(db, key, spec, halt);
  if (reason === null) return null;
  const changed = await db.run(
    `INSERT INTO ${ROLLOUT_HALTS} (channel, rollout_id, halted, reason, halted_at, halted_by) VALUES (?, ?, 1, ?, ?, 'collector') ` +
      `ON CONFLICT (channel, rollout_id) DO UPDATE SET halted = 1, reason = excluded.reason, halted_at = excluded.halted_at, halted_by = excluded.halted_by ` +
      `WHERE ${ROLLOUT_HALTS}.halted = 0`,
    [key.channel, key.id, reason, now],
  );
  return changed > 0 ? reason : null;
}

const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(Number(value)).toISOString());

function haltState(row: Row | undefined): HaltState {
  if (!row) return { halted: false, reason: null, at: null, by: null };
  const halted = Number(row.halted) === 1;
  return halted
    ? { halted, reason: (row.reason as string | null) ?? null, at: iso(row.halted_at), by: (row.halted_by as string | null) ?? null }
    : { halted, reason: null, at: iso(row.resumed_at), by: (row.resumed_by as string | null) ?? null };
}

/** An operator's halt or resume. A resume keeps the arms' counters as the baseline the rules count from. */
export async function setHalt(db: SqlExecutor, key: RolloutKey, change: { readonly halted: boolean; readonly reason: string; readonly by: string }, now: number): Promise<HaltState> {
  if (change.halted) {
    await db.run(
      `INSERT INTO ${ROLLOUT_HALTS} (channel, rollout_id, halted, reason, halted_at, halted_by) VALUES (?, ?, 1, ?, ?, ?) ` +
        `ON CONFLICT (channel, rollout_id) DO UPDATE SET halted = 1, reason = excluded.reason, halted_at = excluded.halted_at, halted_by = excluded.halted_by`,
      [key.channel, key.id, change.reason, now, change.by],
    );
  } else {
    const arms = await armSums(db, key);
    const baseline = JSON.stringify({ candidate: arms.candidate.sums, stable: arms.stable.sums });
    await db.run(
      `INSERT INTO ${ROLLOUT_HALTS} (channel, rollout_id, halted, resumed_at, resumed_by, baseline) VALUES (?, ?, 0, ?, ?, ?) ` +
        `ON CONFLICT (channel, rollout_id) DO UPDATE SET halted = 0, resumed_at = excluded.resumed_at, resumed_by = excluded.resumed_by, baseline = excluded.baseline`,
      [key.channel, key.id, now, change.by, baseline],
    );
  }
  return haltState(await haltRow(db, key));
}

export async function controlDocument(db: SqlReader, channel: string): Promise<ControlDocument> {
  const [seen, halts] = await Promise.all([
    db.all(`SELECT DISTINCT rollout_id FROM ${ROLLOUT_MACHINES} WHERE channel = ? ORDER BY rollout_id LIMIT ${CONTROL_LIMIT}`, [channel]),
    db.all(`SELECT * FROM ${ROLLOUT_HALTS} WHERE channel = ? ORDER BY rollout_id LIMIT ${CONTROL_LIMIT}`, [channel]),
  ]);
  const rollouts: Record<string, HaltState> = {};
  for (const row of seen) rollouts[String(row.rollout_id)] = haltState(undefined);
  for (const row of halts) rollouts[String(row.rollout_id)] = haltState(row);
  return { format_version: 1, channel, rollouts };
}

const channelWhere = (channels: readonly string[] | undefined, column = 'channel') =>
  channels && channels.length > 0 ? { sql: `${column} IN (${channels.map(() => '?').join(', ')})`, params: [...channels] } : { sql: '1 = 1', params: [] as string[] };

/** The rollouts heard of most recently (from status records or a halt), with their steps, machines, counters, gates and halt. */
export async function rolloutViews(db: SqlReader, query: { readonly channel?: readonly string[] }): Promise<RolloutView[]> {
  const where = channelWhere(query.channel);
  const heard = await db.all(
    `SELECT channel, rollout_id, MAX(sequence) AS sequence, COUNT(*) AS machines, MAX(received_at) AS last FROM ${ROLLOUT_MACHINES} WHERE ${where.sql} ` +
      `GROUP BY channel, rollout_id ORDER BY last DESC, channel, rollout_id LIMIT ${ROLLOUTS_LISTED}`,
    where.params,
  );
  const haltsOnly = await db.all(`SELECT channel, rollout_id FROM ${ROLLOUT_HALTS} WHERE ${where.sql} ORDER BY halted_at DESC LIMIT ${ROLLOUTS_LISTED}`, where.params);
  const keys = new Map<string, { key: RolloutKey; sequence: number | null; machines: number }>();
  for (const row of heard)
    keys.set(JSON.stringify([row.channel, row.rollout_id]), {
      key: { channel: String(row.channel), id: String(row.rollout_id) },
      sequence: Number(row.sequence),
      machines: Number(row.machines),
    });
  for (const row of haltsOnly) {
    const name = JSON.stringify([row.channel, row.rollout_id]);
    if (!keys.has(name) && keys.size < ROLLOUTS_LISTED) keys.set(name, { key: { channel: String(row.channel), id: String(row.rollout_id) }, sequence: null, machines: 0 });
  }
  const views: RolloutView[] = [];
  for (const { key, sequence, machines } of keys.values()) {
    const [spec, states, arms, gates, halt] = await Promise.all([
      latestSpec(db, key),
      db.all(`SELECT step, arm, state, COUNT(*) AS n FROM ${ROLLOUT_MACHINES} WHERE channel = ? AND rollout_id = ? GROUP BY step, arm, state`, [key.channel, key.id]),
      armSums(db, key),
      db.all(
        `SELECT gate_name, COUNT(*) AS n, MAX(gate_value) AS value, MAX(gate_threshold) AS threshold FROM ${ROLLOUT_MACHINES} ` +
          `WHERE channel = ? AND rollout_id = ? AND state IN ('rolled_back', 'failed') AND gate_name IS NOT NULL GROUP BY gate_name ORDER BY n DESC, gate_name`,
        [key.channel, key.id],
      ),
      haltRow(db, key),
    ]);
    const steps = (spec?.steps ?? []).map((step, index) => ({
      step: index,
      percent: step.percent,
      max_failure_rate: step.max_failure_rate,
      begins: step.begins,
      ends: new Date(Date.parse(step.begins) + step.bake).toISOString(),
      machines: {} as Partial<Record<RolloutArm, Partial<Record<RolloutState, number>>>>,
    }));
    const unstepped: Partial<Record<RolloutState, number>> = {};
    for (const row of states) {
      const count = Number(row.n);
      const state = row.state as RolloutState;
      const target = row.step === null || row.step === undefined ? undefined : steps[Number(row.step)];
      if (target === undefined) {
        unstepped[state] = (unstepped[state] ?? 0) + count;
        continue;
      }
      const arm = row.arm as RolloutArm;
      const perArm = (target.machines[arm] ??= {});
      perArm[state] = (perArm[state] ?? 0) + count;
    }
    views.push({
      id: key.id,
      channel: key.channel,
      sequence,
      machines,
      start: spec?.start ?? null,
      deadline: spec?.deadline ?? null,
      steps,
      unstepped,
      gates: spec?.gates ?? null,
      arms: { candidate: withRatios(arms.candidate.machines, arms.candidate.sums), stable: withRatios(arms.stable.machines, arms.stable.sums) },
      failing_gates: gates.map((row) => ({
        name: String(row.gate_name),
        machines: Number(row.n),
        value: row.value === null ? null : Number(row.value),
        threshold: row.threshold === null ? null : Number(row.threshold),
      })),
      halt: haltState(halt),
    });
  }
  return views;
}

/** The store's rollout writes on `db`, the connection that writes (the halt rules read there too, so they see what was just committed). */
export function rolloutWrites(db: SqlExecutor): Pick<RecordStore, 'evaluateRollouts' | 'setRolloutHalt'> {
  return {
    async evaluateRollouts(keys, now) {
      const halted: { key: RolloutKey; reason: string }[] = [];
      for (const key of keys) {
        const reason = await evaluateRollout(db, key, now);
        if (reason !== null) halted.push({ key, reason });
      }
      return halted;
    },
    setRolloutHalt: (key, change, now) => setHalt(db, key, change, now),
  };
}
