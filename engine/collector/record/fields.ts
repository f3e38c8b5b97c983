/**
 * What the query API serves and accepts, said once: the fields of a record as its answers carry them,
 * the columns a list of records shows, and the filters its query parameters name. The parameter
 * parser (query/params.ts), the CSV export (query/csv.ts), the SQL conditions (storage/sql-filter.ts) and
 * GET /api/fields, from which the web UI builds its table and filter form, all read these lists.
 *
 * No Node types here: the web UI's script imports this module's types (lint/tsconfig.ui.json).
 */
import { RECORD_HEADERS } from '../../record/fields.js';
import { INTEGER_FIELDS, type RecordJson } from './record.js';

export type FieldName = keyof RecordJson;

/** integer and boolean are JSON numbers and booleans, time is ISO 8601 text, text is a string (first_frame and signature may be null). */
export type FieldType = 'integer' | 'text' | 'time' | 'boolean';

export interface FieldDescription {
  readonly name: FieldName;
  readonly type: FieldType;
}

/** Every field of a record in the API's answers, in the order of the CSV export's columns. */
export const RECORD_FIELDS = ['id', 'received_at', 'tenant', 'protocol', 'external', ...RECORD_HEADERS, 'first_frame', 'signature', 'payload'] as const satisfies readonly FieldName[];

// Every field of RecordJson is listed: a field added to the record and not here fails the build.
type Unlisted = Exclude<FieldName, (typeof RECORD_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

function fieldType(name: FieldName): FieldType {
  if (name === 'id' || (INTEGER_FIELDS as readonly string[]).includes(name)) return 'integer';
  if (name === 'received_at') return 'time';
  if (name === 'external') return 'boolean';
  return 'text';
}

/** A column of a list of records: the field, a short heading, and how many characters of it are shown (all unless said). */
export interface ColumnDescription {
  readonly field: FieldName;
  readonly label: string;
  readonly width?: number;
}

/** The columns of a list of records (the web UI's table), in order. */
export const LIST_COLUMNS = [
  { field: 'id', label: 'id' },
  { field: 'received_at', label: 'received' },
  { field: 'creation_timestamp', label: 'created' },
  { field: 'severity', label: 'sev' },
  { field: 'classification', label: 'classification' },
  { field: 'machine_id', label: 'machine', width: 12 },
  { field: 'build', label: 'build' },
  { field: 'system_name', label: 'system' },
  { field: 'payload', label: 'payload', width: 200 },
] as const satisfies readonly ColumnDescription[];

/** Upstream's severities, 1 to 4. */
export const SEVERITIES = [
  { value: 1, name: 'low' },
  { value: 2, name: 'medium' },
  { value: 3, name: 'high' },
  { value: 4, name: 'critical' },
] as const;

/**
 * A query parameter that narrows the records (every endpoint but /api/records/<id> takes them all).
 * kind says what it takes:
 *   pattern  classification globs ("*" and "?"), `example` shows one; repeated, any of them matches;
 *   choice   one of `values` (several: repeated, or comma-separated);
 *   text     the field's exact value; repeated, any of them matches;
 *   prefix   the start of the field's value (a machine id as the list shows it); repeated, any of them matches;
 *   search   words and "quoted phrases" that must all occur in the payload, as whole words (full-text index);
 *   time     ISO 8601, unix seconds, or a duration before now ("15m", "7d"): `bound` lower keeps records
 *            received at or after it, upper those received before it.
 */
export type FilterDescription = {
  readonly name: string;
  /** The record field it tests. */
  readonly field: FieldName;
  /** A short human name, for a form. */
  readonly label: string;
} & (
  | { readonly kind: 'pattern'; readonly example: string }
  | { readonly kind: 'choice'; readonly values: readonly { readonly value: number; readonly name: string }[] }
  | { readonly kind: 'text' }
  | { readonly kind: 'prefix' }
  | { readonly kind: 'search' }
  | { readonly kind: 'time'; readonly bound: 'lower' | 'upper' }
);

/** The filters, in the order a form shows them. */
export const FILTERS = [
  { name: 'q', field: 'payload', label: 'Search', kind: 'search' },
  { name: 'classification', field: 'classification', label: 'Classification', kind: 'pattern', example: 'org.clearlinux/crash/*' },
  { name: 'severity', field: 'severity', label: 'Severity', kind: 'choice', values: SEVERITIES },
  { name: 'machine_id', field: 'machine_id', label: 'Machine', kind: 'prefix' },
  { name: 'build', field: 'build', label: 'Build', kind: 'text' },
  { name: 'system_name', field: 'system_name', label: 'System', kind: 'text' },
  { name: 'event_id', field: 'event_id', label: 'Event', kind: 'text' },
  { name: 'first_frame', field: 'first_frame', label: 'First frame', kind: 'text' },
  { name: 'signature', field: 'signature', label: 'Signature', kind: 'text' },
  { name: 'since', field: 'received_at', label: 'Received', kind: 'time', bound: 'lower' },
  { name: 'until', field: 'received_at', label: 'Received before', kind: 'time', bound: 'upper' },
  { name: 'created_since', field: 'creation_timestamp', label: 'Created', kind: 'time', bound: 'lower' },
  { name: 'created_until', field: 'creation_timestamp', label: 'Created before', kind: 'time', bound: 'upper' },
] as const satisfies readonly FilterDescription[];

type Filter = (typeof FILTERS)[number];
export type FilterName = Filter['name'];
/** The filters that compare a field with values: the text ones, and the choice (severity). */
export type ExactFilterName = Extract<Filter, { kind: 'text' | 'choice' }>['name'];
export type TextFilterName = Extract<Filter, { kind: 'text' | 'prefix' }>['name'];

export const FILTER_PARAMETERS: readonly FilterName[] = FILTERS.map((filter) => filter.name);
export const TEXT_FILTERS = FILTERS.flatMap((filter) => (filter.kind === 'text' || filter.kind === 'prefix' ? [filter.name] : []));
export const EXACT_FILTERS = FILTERS.flatMap((filter) => (filter.kind === 'text' || filter.kind === 'choice' ? [filter.name] : []));

/** GET /api/fields. */
export interface FieldsAnswer {
  readonly fields: readonly FieldDescription[];
  readonly columns: readonly ColumnDescription[];
  readonly filters: readonly FilterDescription[];
}

export const FIELDS_ANSWER: FieldsAnswer = {
  fields: RECORD_FIELDS.map((name) => ({ name, type: fieldType(name) })),
  columns: LIST_COLUMNS,
  filters: FILTERS,
};
