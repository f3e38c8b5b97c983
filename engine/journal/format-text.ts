/**
 * `telem journal` text output, column for column upstream's telem_journal (reference §E.5):
 * "%-30s %s %s %s %s\n" with the time as "%a %Y-%m-%d %H:%M:%S %Z" in local time, then our
 * outcome as one more column: `delivered@central`, `rejected:http_400@central`, `dropped:rate_limited`.
 */
import type { JournalLine } from './line.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * strftime's "%a %Y-%m-%d %H:%M:%S %Z". The zone name comes from Intl: "UTC", "PST" and the like,
 * but "GMT+1" where glibc would print an abbreviation such as "CET".
 */
export function formatJournalTime(time: number, timeZone?: string): string {
  const parts: Record<string, string> = {};
  for (const { type, value } of formatterFor(timeZone).formatToParts(new Date(time))) parts[type] = value;
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** The outcome column; upstream lines have none. */
export function outcomeText(entry: JournalLine): string {
  if (entry.outcome === null) return '';
  return `${entry.outcome}${entry.reason === null ? '' : `:${entry.reason}`}${entry.destination === null ? '' : `@${entry.destination}`}`;
}

export function formatJournalEntry(entry: JournalLine, timeZone?: string): string {
  const columns = [entry.classification.padEnd(30), formatJournalTime(entry.time, timeZone), entry.recordId, entry.eventId, entry.bootId];
  const outcome = outcomeText(entry);
  return `${columns.join(' ')}${outcome === '' ? '' : ` ${outcome}`}\n`;
}

/** The -V header: upstream's "%-30s %-27s %-32s %-32s %-36s" and our Outcome column. */
export const JOURNAL_VERBOSE_HEADER = `${['Classification'.padEnd(30), 'Time stamp'.padEnd(27), 'Record ID'.padEnd(32), 'Event ID'.padEnd(32), 'Boot ID'.padEnd(36)].join(' ')} Outcome\n`;

export function formatJournalTotal(count: number): string {
  return `Total records: ${count}\n`;
}
