/**
 * One line of `journalctl --output=json`: a JSON object of the entry's fields. journalctl writes a
 * value as a string when it is printable UTF-8, as an array of byte values when it is not (binary,
 * invalid UTF-8, most control characters), as null when it is longer than 4096 bytes and --all is
 * missing, and as an array of such values when the entry has the field more than once.
 */

/** The fields of an entry the probe uses, as text. */
export interface JournalEntry {
  /** `__CURSOR`: where the entry is, for resuming after it. */
  readonly cursor: string | undefined;
  /** `MESSAGE`, decoded as UTF-8 (invalid bytes become U+FFFD); undefined when the entry has none. */
  readonly message: string | undefined;
  /** `PRIORITY` (syslog level, 0 emergency … 7 debug); undefined when absent or not a number. */
  readonly priority: number | undefined;
  /** `_SYSTEMD_UNIT` */
  readonly unit: string | undefined;
  /** `SYSLOG_IDENTIFIER` */
  readonly identifier: string | undefined;
  /** `__REALTIME_TIMESTAMP` (microseconds since the epoch) as a time. */
  readonly time: Date | undefined;
}

/** The fields journalctl is asked to print (__CURSOR and __REALTIME_TIMESTAMP always come too). */
export const ENTRY_FIELDS = ['MESSAGE', 'PRIORITY', '_SYSTEMD_UNIT', 'SYSLOG_IDENTIFIER'] as const;

function isByteArray(value: readonly unknown[]): value is number[] {
  return value.every((item) => typeof item === 'number');
}

/**
 * A field's value as text: a string as is, bytes decoded as UTF-8 with replacement, the first of
 * several values (sd_journal_get_data, which upstream used, also returns just one), and undefined
 * for null or anything journalctl does not write.
 */
export function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  if (isByteArray(value)) return Buffer.from(value).toString('utf8');
  return value.length === 0 ? undefined : fieldText(value[0]);
}

function realtime(value: unknown): Date | undefined {
  const text = fieldText(value);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  // Microseconds: 1.7e15 today, within what a double holds exactly until the year 2255.
  return new Date(Math.floor(Number(text) / 1000));
}

function priority(value: unknown): number | undefined {
  const text = fieldText(value);
  return text !== undefined && /^[0-7]$/.test(text) ? Number(text) : undefined;
}

/** The entry of one output line; null for a line that is not a JSON object (journalctl's notices). */
export function parseJournalLine(line: string): JournalEntry | null {
  let fields: unknown;
  try {
    fields = JSON.parse(line);
  } catch {
    return null;
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return null;
  const record = fields as Record<string, unknown>;
  return {
    cursor: fieldText(record.__CURSOR),
    message: fieldText(record.MESSAGE),
    priority: priority(record.PRIORITY),
    unit: fieldText(record._SYSTEMD_UNIT),
    identifier: fieldText(record.SYSLOG_IDENTIFIER),
    time: realtime(record.__REALTIME_TIMESTAMP),
  };
}
