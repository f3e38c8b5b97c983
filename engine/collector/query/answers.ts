/**
 * The JSON bodies of the query API's answers, for the endpoints (which build them) and the web UI's
 * script (which reads them, through JSDoc imports type-checked by `npm run lint`). Types only: this
 * module must not import anything that needs Node's types.
 */
import type { RecordJson } from '../record/record.js';
import type { CrashGroup } from '../storage/store.js';

export type { RecordJson } from '../record/record.js';
export type { CrashGroup, RecordStats, TimeBucket } from '../storage/store.js';
export type { ColumnDescription, FieldDescription, FieldsAnswer, FilterDescription } from '../record/fields.js';

/** GET /api/records (format=json): one page, newest first. */
export interface RecordsPage {
  readonly records: readonly RecordJson[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly next_cursor: string | null;
}

/** GET /api/crashes. */
export interface CrashesAnswer {
  /** The classification patterns the groups were read with ("*\/crash/*" unless the query named some). */
  readonly classification: readonly string[];
  readonly groups: readonly CrashGroup[];
}

/** Every error: a message saying what went wrong. */
export interface ErrorAnswer {
  readonly message: string;
}
