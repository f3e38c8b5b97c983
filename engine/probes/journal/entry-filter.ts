/**
 * Which entries the probe sends: those with a MESSAGE, of priority at most max_priority, of one of `units` (if any), with one
 * of `identifiers` (if any), and never with one of `exclude_identifiers`. journalctl is given the
 * same selection as matches so it does not print what would be dropped; the test here is the one
 * that decides, and the only place exclusion can happen (journalctl has no negative match).
 */
import type { ProbeSettings } from '../probe.js';
import type { JournalEntry } from './journal-entry.js';

export type JournalSettings = ProbeSettings['journal'];

/**
 * journalctl's options and matches for the settings. Matches of one field are ORed and matches of
 * different fields ANDed, so `_SYSTEMD_UNIT=a _SYSTEMD_UNIT=b SYSLOG_IDENTIFIER=c` is
 * (a or b) and c, as the settings mean.
 */
export function journalctlSelection(settings: JournalSettings): { readonly options: readonly string[]; readonly matches: readonly string[] } {
  return {
    options: [`--priority=0..${settings.max_priority}`],
    matches: [...settings.units.map((unit) => `_SYSTEMD_UNIT=${unit}`), ...settings.identifiers.map((identifier) => `SYSLOG_IDENTIFIER=${identifier}`)],
  };
}

/** An entry with a MESSAGE to send; the others are skipped (upstream's journalprobe exited with "Failed to read journal entry" at one). */
export type SendableEntry = JournalEntry & { readonly message: string };

export function selectsEntry(settings: JournalSettings, entry: JournalEntry): entry is SendableEntry {
  if (entry.message === undefined) return false;
  if (entry.priority === undefined || entry.priority > settings.max_priority) return false;
  if (settings.units.length > 0 && (entry.unit === undefined || !settings.units.includes(entry.unit))) return false;
  if (settings.identifiers.length > 0 && (entry.identifier === undefined || !settings.identifiers.includes(entry.identifier))) return false;
  return entry.identifier === undefined || !settings.exclude_identifiers.includes(entry.identifier);
}
