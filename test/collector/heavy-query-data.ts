/**
 * The heaviest work the query API allows, on a database built to make it slow: shared by the
 * heavy-query test and the benchmark of ingest latency during queries.
 */
import { MAX_PATTERNS } from '../../engine/collector/query/params.js';
import type { RecordStore } from '../../engine/collector/storage/store.js';
import { seedStore } from './incoming-records.js';

export const HEAVY_RECORDS = 20_000;
const CLASSIFICATIONS = ['org.clearlinux/crash/clr', 'org.clearlinux/hello/world', 'org.example/app/start', 'org.example/crash/python'];
/**
 * Some records have long classifications of one repeated letter, on which each of the heaviest
 * patterns takes many steps to fail; any agent may send such classifications.
 */
const LONG_RECORDS = 1000;
const LONG = 'a'.repeat(5000);
const LONG_CLASSIFICATIONS = [`${LONG}/a/a`, `${LONG}/b/${LONG}`];

export async function seedHeavyDatabase(store: RecordStore): Promise<void> {
  await seedStore(store, HEAVY_RECORDS - LONG_RECORDS, CLASSIFICATIONS);
  await seedStore(store, LONG_RECORDS, LONG_CLASSIFICATIONS, HEAVY_RECORDS);
}

/**
 * The query string of the most classification work one query may ask for: as many patterns as
 * allowed, none with a literal prefix, a "?" among the letters so that each place in the text
 * is a candidate to try.
 */
export function heaviestPatterns(): string {
  return Array.from({ length: MAX_PATTERNS }, (_, index) => `classification=${encodeURIComponent(`*${'a'.repeat(100)}?${'a'.repeat(99)}b${index}*/*/*`)}`).join('&');
}
