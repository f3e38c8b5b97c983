/** Comparing and showing resolved policy values: a leaf is a scalar, an array or a rate; objects are walked. */
import { formatDuration, formatSize } from '../../schemas/units.js';
import { canonicalJson } from '../hash/canonical-json.js';
import type { PlanChange } from './action.js';

type Rate = { readonly limit: number; readonly windowMs: number };

function isRate(value: unknown): value is Rate {
  return typeof value === 'object' && value !== null && 'limit' in value && 'windowMs' in value;
}

function isWalked(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isRate(value);
}

/** Equal as JSON, whatever the order of object keys (a policy read back from a bundle or a file may list them in another order). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

/** Every leaf that differs between two values, as paths under `prefix`. */
export function leafChanges(before: unknown, after: unknown, prefix = ''): PlanChange[] {
  if (isWalked(before) && isWalked(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => leafChanges(before[key], after[key], prefix === '' ? key : `${prefix}.${key}`));
  }
  return sameValue(before, after) ? [] : [{ path: prefix, before, after }];
}

// Keys whose resolved values are milliseconds or bytes (a test checks this against the schema).
export const DURATION_KEYS = new Set([
  'rotate_every',
  'read_timeout',
  'first_byte_timeout',
  'recycle_after',
  'expiry',
  'batch_window',
  'interval',
  'max_interval',
  'timeout',
  'connect_timeout',
  'max_age',
  'query_timeout',
  'headers',
  'request',
  'idle',
  'keep_alive',
  'poll_interval',
  'status_interval',
  'every',
  'random_delay',
]);
export const SIZE_KEYS = new Set(['max_payload', 'max_size', 'max_body', 'max_body_memory']);

/** A value as the policy would write it: "15m", "5MiB", "1000/15m", "1MiB/20m". */
export function showValue(path: string, value: unknown): string {
  if (value === undefined) return '(none)';
  const key = path.split('.').at(-1) ?? path;
  if (typeof value === 'number' && DURATION_KEYS.has(key)) return formatDuration(value);
  if (typeof value === 'number' && SIZE_KEYS.has(key)) return formatSize(value);
  if (isRate(value)) return `${key === 'bytes' ? formatSize(value.limit) : value.limit}/${formatDuration(value.windowMs)}`;
  if (isWalked(value)) {
    const entries = Object.entries(value).map(([name, inner]) => `${name}: ${showValue(`${path}.${name}`, inner)}`);
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** Records (or bytes) per millisecond a rate allows; Infinity without one. */
export function ratePerMs(rate: Rate | null | undefined): number {
  return rate ? rate.limit / rate.windowMs : Infinity;
}
