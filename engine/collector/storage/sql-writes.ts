/** The write statements (insert once per record key, purge), written once for both backends. */
import type { SkipList } from '../crash/skip-rules.js';
import type { IncomingRecord } from '../record/record.js';
import type { Dialect } from './dialect.js';
import { INSERT_COLUMNS, KEY_COLUMN, type Row, insertValues, rowToRecord } from './rows.js';
import { classificationCondition } from './sql-filter.js';
import type { InsertResult, PurgePlan, RetentionRule } from './store.js';

export interface SqlStatement {
  readonly sql: string;
  readonly params: unknown[];
}

/** A record's column values, computed once per insert (digest, first frame, frames, signature), and its key (record_sha256). */
export interface PreparedRow {
  readonly values: readonly unknown[];
  readonly key: string;
}

const KEY_INDEX = INSERT_COLUMNS.indexOf(KEY_COLUMN);

/** `skip`: the skip list in force in the inserting transaction, for the signature. */
export function prepareRow(record: IncomingRecord, bool: (value: boolean) => unknown, skip: SkipList): PreparedRow {
  const values = insertValues(record, bool, skip);
  return { values, key: values[KEY_INDEX] as string };
}

const rowKey = (row: Row) => row[KEY_COLUMN] as string;

/** Multi-row insert that skips records already stored (the unique record_sha256) and returns the new rows. */
export function insertStatement(rows: readonly PreparedRow[]): SqlStatement {
  const placeholders = `(${INSERT_COLUMNS.map(() => '?').join(', ')})`;
  return {
    sql: `INSERT INTO records (${INSERT_COLUMNS.join(', ')}) VALUES ${rows.map(() => placeholders).join(', ')} ` + `ON CONFLICT (${KEY_COLUMN}) DO NOTHING RETURNING *`,
    params: rows.flatMap((row) => row.values),
  };
}

/** The stored rows for records the insert skipped, found by their key; null when none was skipped. */
export function existingStatement(rows: readonly PreparedRow[], inserted: readonly Row[]): SqlStatement | null {
  const insertedKeys = new Set(inserted.map(rowKey));
  const skipped = [...new Set(rows.map((row) => row.key).filter((key) => !insertedKeys.has(key)))];
  if (skipped.length === 0) return null;
  return { sql: `SELECT * FROM records WHERE ${KEY_COLUMN} IN (${skipped.map(() => '?').join(', ')})`, params: skipped };
}

/**
 * Pairs each input row with its stored row: the first occurrence of a key that the insert
 * returned is new, every other occurrence is a duplicate.
 */
export function matchResults(rows: readonly PreparedRow[], inserted: readonly Row[], existing: readonly Row[]): InsertResult[] {
  const fresh = new Map(inserted.map((row) => [rowKey(row), row]));
  const old = new Map(existing.map((row) => [rowKey(row), row]));
  const seen = new Set<string>();
  return rows.map(({ key }) => {
    const firstTime = !seen.has(key) && fresh.has(key);
    seen.add(key);
    const row = fresh.get(key) ?? old.get(key);
    if (!row) throw new Error(`record ${key} was neither inserted nor found`);
    return { record: rowToRecord(row), duplicate: !firstTime };
  });
}

function ruleCondition(rule: RetentionRule, dialect: Dialect, params: unknown[]): string {
  const parts: string[] = [];
  if (rule.classification !== undefined) parts.push(classificationCondition(rule.classification, dialect, params));
  if (rule.severity !== undefined) {
    parts.push('severity = ?');
    params.push(rule.severity);
  }
  return `(${parts.join(' AND ')})`;
}

/**
 * Upstream's purge (reference §3.3): each rule with an age deletes its old records (so a
 * record matching several rules goes at the shortest age), then records matching no rule
 * are deleted after the global age. A rule kept "forever" exempts its records from that.
 * These are the WHERE conditions of those deletes, in that order.
 */
export function purgeConditions(plan: PurgePlan, now: number, dialect: Dialect): SqlStatement[] {
  const conditions: SqlStatement[] = [];
  for (const rule of plan.rules) {
    if (rule.maxAgeMs === null) continue;
    const params: unknown[] = [];
    const condition = ruleCondition(rule, dialect, params);
    conditions.push({ sql: `${condition} AND received_at < ?`, params: [...params, now - rule.maxAgeMs] });
  }
  if (plan.maxAgeMs !== null) {
    const params: unknown[] = [];
    const ruleConditions = plan.rules.map((rule) => ruleCondition(rule, dialect, params));
    const unmatched = ruleConditions.length ? `NOT (${ruleConditions.join(' OR ')}) AND ` : '';
    conditions.push({ sql: `${unmatched}received_at < ?`, params: [...params, now - plan.maxAgeMs] });
  }
  return conditions;
}

/** The purge as row deletes (SQLite's, and what PostgreSQL does below its whole-partition drops). */
export function purgeStatements(plan: PurgePlan, now: number, dialect: Dialect): SqlStatement[] {
  return purgeConditions(plan, now, dialect).map(({ sql, params }) => ({ sql: `DELETE FROM records WHERE ${sql}`, params }));
}
