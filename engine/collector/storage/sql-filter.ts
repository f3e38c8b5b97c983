/** RecordFilter → SQL conditions with "?" parameters, shared by both backends. */
import type { Dialect } from './dialect.js';
import { globCondition } from './glob-condition.js';
import { EXACT_FILTERS } from '../record/fields.js';
import type { RecordFilter } from './store.js';

export interface SqlFragment {
  readonly sql: string;
  readonly params: unknown[];
}

/** The filters that compare their field with values (each is named like its column). */
const EXACT_COLUMNS = EXACT_FILTERS;
const PREFIX_COLUMNS = ['machine_id'] as const;

function anyOf(column: string, values: readonly unknown[], params: unknown[]): string {
  params.push(...values);
  return values.length === 1 ? `${column} = ?` : `${column} IN (${values.map(() => '?').join(', ')})`;
}

export function classificationCondition(pattern: string, dialect: Dialect, params: unknown[]): string {
  const condition = globCondition(pattern);
  if (condition.kind === 'equals') {
    params.push(condition.value);
    return 'classification = ?';
  }
  const parts: string[] = [];
  if (condition.prefix !== '') {
    const prefix = dialect.prefixMatch('classification', condition.prefix);
    parts.push(prefix.sql);
    params.push(...prefix.params);
  }
  if (!condition.exact) {
    const glob = dialect.globMatch('classification', pattern);
    parts.push(glob.sql);
    params.push(...glob.params);
  }
  // "*" matches every record, with or without a classification.
  return parts.length === 0 ? '1 = 1' : parts.length === 1 ? (parts[0] as string) : `(${parts.join(' AND ')})`;
}

/** The conditions of `filter` joined by AND (an empty list means everything). */
export function filterConditions(filter: RecordFilter, dialect: Dialect): { conditions: string[]; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.classification?.length) {
    const parts = filter.classification.map((pattern) => classificationCondition(pattern, dialect, params));
    conditions.push(parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`);
  }
  for (const column of EXACT_COLUMNS) {
    const values = filter[column];
    if (values?.length) conditions.push(anyOf(column, values, params));
  }
  for (const column of PREFIX_COLUMNS) {
    const values = filter[column];
    if (!values?.length) continue;
    const parts = values.map((prefix) => {
      const match = dialect.prefixMatch(column, prefix);
      params.push(...match.params);
      return match.sql;
    });
    conditions.push(parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`);
  }
  if (filter.q?.length) {
    const search = dialect.payloadSearch(filter.q);
    conditions.push(search.sql);
    params.push(...search.params);
  }
  if (filter.since !== undefined) {
    conditions.push('received_at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    conditions.push('received_at < ?');
    params.push(filter.until);
  }
  // creation_timestamp is in seconds, as the record carries it.
  if (filter.created_since !== undefined) {
    conditions.push('creation_timestamp >= ?');
    params.push(Math.ceil(filter.created_since / 1000));
  }
  if (filter.created_until !== undefined) {
    conditions.push('creation_timestamp < ?');
    params.push(Math.ceil(filter.created_until / 1000));
  }
  return { conditions, params };
}

export function whereClause(filter: RecordFilter, dialect: Dialect, extra: readonly SqlFragment[] = []): SqlFragment {
  const { conditions, params } = filterConditions(filter, dialect);
  for (const fragment of extra) {
    conditions.push(fragment.sql);
    params.push(...fragment.params);
  }
  return { sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
