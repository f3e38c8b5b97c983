/**
 * Crash signatures in the database (migration 8), written once for both backends:
 *   records.frames     the crashing thread's normalised frames (crash/frames.ts framesText), set at ingest;
 *   records.signature  the signature of those frames under the skip list in force (crash/signature.ts);
 *   crash_skip_rules   the skip list, in order (position), each rule with a note and when it was added;
 *   crash_rules_state  one row: the skip list's version, counted up by every change.
 *
 * Changing the list recomputes signatures from records.frames, never from payloads, in batches of
 * BATCH rows driven from Node (regroupSignatures). Collectors sharing a PostgreSQL database agree
 * on the list through the version row: each insert transaction reads it and re-reads the list when
 * it moved (postgres-store.ts, sqlite-writer.ts). On PostgreSQL the version is read under a shared
 * advisory lock (RULES_LOCK) that a change takes exclusively, so a change waits for the inserts
 * and regroup batches under way, and none starts with the old list once the new one is committed:
 * the regroup, which starts after the commit, sees every row written with the old list.
 */
import { crashingThreadFrames, framesText, parseFramesText } from '../crash/frames.js';
import { checkSkipRules } from '../crash/check-rules.js';
import { frameSignature } from '../crash/signature.js';
import { DEFAULT_SKIP_RULES, type SkipList, type SkipRule, skipList } from '../crash/skip-rules.js';
import type { MigrationConnection } from './migrations.js';
import type { Row } from './rows.js';
import type { SqlStatement } from './sql-writes.js';
import type { CrashRules, CrashRulesChange } from './store.js';

export const SKIP_RULES_TABLE = 'crash_skip_rules';
export const RULES_STATE_TABLE = 'crash_rules_state';
/** PostgreSQL advisory lock: shared by inserts and regroup batches, exclusive for a change of the list. */
export const RULES_LOCK = 0x74736967; // "tsig"
/** Rows read and updated per statement by the backfill and the regroup. */
export const BATCH = 500;

export const READ_VERSION = `SELECT version FROM ${RULES_STATE_TABLE}`;
export const READ_RULES = `SELECT pattern, note, created_at FROM ${SKIP_RULES_TABLE} ORDER BY position`;

export function storedRules(version: readonly Row[], rules: readonly Row[]): CrashRules {
  return {
    version: Number(version[0]?.version ?? 0),
    rules: rules.map((row) => ({ pattern: row.pattern as string, note: (row.note as string | null) ?? null, created_at: Number(row.created_at) })),
  };
}

/**
 * The statements of a change, for one transaction: rules no longer listed go, listed ones are
 * inserted or given their new position and note (a rule kept keeps its created_at), and the
 * version moves on; the last one answers the new version. The caller has checked the rules
 * (crash/skip-rules.ts checkSkipRules).
 */
export function replaceRulesStatements(rules: readonly SkipRule[], now: number): SqlStatement[] {
  const patterns = rules.map((rule) => rule.pattern);
  const statements: SqlStatement[] = [
    patterns.length === 0
      ? { sql: `DELETE FROM ${SKIP_RULES_TABLE}`, params: [] }
      : { sql: `DELETE FROM ${SKIP_RULES_TABLE} WHERE pattern NOT IN (${patterns.map(() => '?').join(', ')})`, params: patterns },
  ];
  if (rules.length > 0) {
    statements.push({
      sql:
        `INSERT INTO ${SKIP_RULES_TABLE} (position, pattern, note, created_at) VALUES ${rules.map(() => '(?, ?, ?, ?)').join(', ')} ` +
        'ON CONFLICT (pattern) DO UPDATE SET position = excluded.position, note = excluded.note',
      params: rules.flatMap((rule, index) => [index, rule.pattern, rule.note ?? null, now]),
    });
  }
  statements.push({ sql: `UPDATE ${RULES_STATE_TABLE} SET version = version + 1, changed_at = ? RETURNING version`, params: [now] });
  return statements;
}

/**
 * One UPDATE setting `columns` of the rows named by id. received_at is named too, so PostgreSQL
 * touches only the partitions holding them (a batch walked by id lies in a few days); SQLite
 * finds each row by id alone.
 */
function rowUpdate(rows: readonly { readonly id: number; readonly received_at: number; readonly values: Readonly<Record<string, unknown>> }[], columns: readonly string[]): SqlStatement {
  const params: unknown[] = [];
  const sets = columns.map((column) => {
    params.push(...rows.flatMap((row) => [row.id, row.values[column]]));
    return `${column} = CASE id ${rows.map(() => 'WHEN ? THEN ?').join(' ')} END`;
  });
  const times = [...new Set(rows.map((row) => row.received_at))];
  params.push(...rows.map((row) => row.id), ...times);
  return {
    sql: `UPDATE records SET ${sets.join(', ')} WHERE id IN (${rows.map(() => '?').join(', ')}) AND received_at IN (${times.map(() => '?').join(', ')})`,
    params,
  };
}

/**
 * Migration 8's backfill: the default skip list and version 1, then frames and signature for every
 * stored record with a first frame (the records with frames), read from their payloads once, oldest
 * id first. Answers what it did, for the log.
 */
export async function backfillCrashSignatures(connection: MigrationConnection, now: number = Date.now()): Promise<string> {
  await connection.query(`INSERT INTO ${RULES_STATE_TABLE} (version, changed_at) VALUES (0, ?)`, [now]);
  for (const statement of replaceRulesStatements(DEFAULT_SKIP_RULES, now)) await connection.query(statement.sql, statement.params);
  const skip = skipList(DEFAULT_SKIP_RULES.map((rule) => rule.pattern));
  const select = `SELECT id, received_at, payload FROM records WHERE first_frame IS NOT NULL AND id > ? ORDER BY id LIMIT ${BATCH}`;
  let records = 0;
  let batches = 0;
  for (let after = 0; ;) {
    const rows = await connection.query(select, [after]);
    if (rows.length === 0) break;
    const changes = rows.map((row) => {
      const frames = crashingThreadFrames(row.payload as string);
      return { id: Number(row.id), received_at: Number(row.received_at), values: { frames: framesText(frames), signature: frameSignature(frames, skip) } };
    });
    const update = rowUpdate(changes, ['frames', 'signature']);
    await connection.query(update.sql, update.params);
    records += rows.length;
    batches += 1;
    after = Number(rows.at(-1)?.id);
  }
  return `${records} crash records given frames and a signature, in ${batches} batches of at most ${BATCH}`;
}

/** What a regroup batch runs its statements through (inside a transaction on PostgreSQL). */
export interface RegroupConnection {
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params: readonly unknown[]): Promise<unknown>;
}

export interface RegroupAccess {
  /** Runs one batch; on PostgreSQL in a transaction holding RULES_LOCK shared, so no change commits meanwhile. */
  batch<T>(work: (connection: RegroupConnection) => Promise<T>): Promise<T>;
}

export interface RegroupResult {
  readonly regrouped: number;
  /** A later change of the list took over (its own regroup recomputes every record). */
  readonly superseded: boolean;
}

/**
 * Recomputes the signature of every record with frames under `skip`, the list of `version`, and
 * writes the ones that changed. Stops as soon as the version in the database is another one.
 */
export async function regroupSignatures(access: RegroupAccess, version: number, skip: SkipList): Promise<RegroupResult> {
  const select = `SELECT id, received_at, frames, signature FROM records WHERE frames IS NOT NULL AND id > ? ORDER BY id LIMIT ${BATCH}`;
  let regrouped = 0;
  for (let after = 0; ;) {
    const step = await access.batch(async (db) => {
      if (Number((await db.all(READ_VERSION, []))[0]?.version) !== version) return null;
      const rows = await db.all(select, [after]);
      const changes = rows.flatMap((row) => {
        const signature = frameSignature(parseFramesText(row.frames as string), skip);
        return signature === row.signature ? [] : [{ id: Number(row.id), received_at: Number(row.received_at), values: { signature } }];
      });
      if (changes.length > 0) {
        const update = rowUpdate(changes, ['signature']);
        await db.run(update.sql, update.params);
      }
      return { rows: rows.length, last: Number(rows.at(-1)?.id ?? after), changed: changes.length };
    });
    if (step === null) return { regrouped, superseded: true };
    regrouped += step.changed;
    if (step.rows < BATCH) return { regrouped, superseded: false };
    after = step.last;
  }
}

/** A backend's side of a change of the skip list. */
export interface CrashRulesBackend extends RegroupAccess {
  /** Runs the statements in one transaction (PostgreSQL: holding RULES_LOCK exclusively); the rows of each. */
  change(statements: readonly SqlStatement[]): Promise<Row[][]>;
}

/**
 * PUT /api/crash-rules, for either backend: checks the rules (a TelemError names a bad one), stores
 * them with the next version, then regroups every record under them. The answer lists the rules as
 * this change stored them, even when a later change has already taken over the regroup.
 */
export async function changeCrashRules(backend: CrashRulesBackend, rules: readonly SkipRule[], now: number): Promise<CrashRulesChange> {
  checkSkipRules(rules);
  const results = await backend.change([...replaceRulesStatements(rules, now), { sql: READ_RULES, params: [] }]);
  const stored = storedRules(results.at(-2) ?? [], results.at(-1) ?? []);
  const { regrouped } = await regroupSignatures(backend, stored.version, skipList(rules.map((rule) => rule.pattern)));
  return { ...stored, regrouped };
}
