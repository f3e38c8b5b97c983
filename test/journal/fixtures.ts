/** Journal entries and retention settings for tests. */
import type { JournalEntry } from '../../engine/journal/entry.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';

/** 2026-11-22 22:12:28 UTC, the time of upstream's captured journal line. */
export const CAPTURED_TIME = 1_795_385_548_000;

export const BOOT_ID = 'fa9d4e87-8482-40f5-8f67-59677771c6c5';

export function journalEntry(overrides: Partial<JournalEntry> = {}): JournalEntry {
  return {
    recordId: 'e5a21e01c00a963711eac53bb3b90b02',
    time: CAPTURED_TIME,
    classification: 'org.example/journal/one',
    eventId: '78dbbb96a9636a7e2467cadcbce35863',
    bootId: BOOT_ID,
    outcome: 'delivered',
    reason: null,
    route: 'default',
    destination: 'central',
    policyRevision: 12,
    ...overrides,
  };
}

/** The nth of a series of distinct entries: record ids 000…0n, one second apart. */
export function nthEntry(n: number, overrides: Partial<JournalEntry> = {}): JournalEntry {
  return journalEntry({ recordId: n.toString(16).padStart(32, '0'), time: CAPTURED_TIME + n * 1000, ...overrides });
}

export function retention(overrides: Partial<ResolvedPolicy['retention']> = {}): ResolvedPolicy['retention'] {
  return { journal_entries: 100, keep_payloads: 0, journal: '/var/log/telemetry/journal', payload_dir: '/var/log/telemetry/records', ...overrides };
}
