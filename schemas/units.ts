/**
 * Human units in policies: durations ("15m", "1h30m"), sizes ("5MiB", 8192) and rates
 * ("100/15m", "1MiB/20m"). Each is a zod schema whose input is what people write and whose
 * output is a plain number (ms, bytes) so the runtime never parses units.
 */
import { z } from 'zod';

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const SIZE_UNITS = {
  B: 1,
  K: 1024,
  KB: 1000,
  KiB: 1024,
  M: 1024 ** 2,
  MB: 1000 ** 2,
  MiB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1000 ** 3,
  GiB: 1024 ** 3,
} as const;

const DURATION_PART = String.raw`\d+(?:ms|s|m|h|d|w)`;
export const DURATION_PATTERN = `^(?:${DURATION_PART})+$`;
const SIZE_TEXT = String.raw`\d+(?:\.\d+)?\s*(?:B|K|KB|KiB|M|MB|MiB|G|GB|GiB)?`;
export const SIZE_PATTERN = `^${SIZE_TEXT}$`;
export const RATE_PATTERN = `^(\\d+)\\s*/\\s*(?:${DURATION_PART})+$`;
export const BYTE_RATE_PATTERN = `^(${SIZE_TEXT})\\s*/\\s*(?:${DURATION_PART})+$`;

/** Milliseconds for "1h30m"-style text, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!new RegExp(DURATION_PATTERN).test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
  }
  return total;
}

/** Bytes for "5MiB"-style text (a bare number is bytes), or undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] || 'B') as keyof typeof SIZE_UNITS;
  if (!(unit in SIZE_UNITS)) return undefined;
  return Math.round(Number(match[1]) * SIZE_UNITS[unit]);
}

/** Shortest exact human text for a number of milliseconds ("15m", "1h30m", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = DURATION_UNITS_MS[unit];
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

/** Shortest exact human text for a number of bytes ("5MiB", "1000B"). */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    if (bytes >= SIZE_UNITS[unit] && bytes % SIZE_UNITS[unit] === 0) return `${bytes / SIZE_UNITS[unit]}${unit}`;
  }
  return `${bytes}B`;
}

/**
 * Longest duration a policy may give (100 years). Weeks of spool expiry or consent rotation are
 * fine; beyond this the text is a typo, and past 2^53 ms it would not even be an exact number.
 */
export const MAX_DURATION_MS = 36_500 * DURATION_UNITS_MS.d;
const MAX_DURATION_TEXT = '100 years (36500d)';

function tooLong(what: string, text: string): string {
  return `${what} too long: at most ${MAX_DURATION_TEXT}, got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text)}`;
}

export const durationSchema = z
  .string({ error: 'expected a duration with a unit, such as "15m", "20h" or "1h30m"' })
  .regex(new RegExp(DURATION_PATTERN), { error: 'expected a duration with a unit, such as "15m", "20h" or "1h30m"' })
  .transform((text, context) => {
    const ms = parseDuration(text) as number;
    if (ms <= MAX_DURATION_MS) return ms;
    context.addIssue({ code: 'custom', message: tooLong('duration', text), input: text });
    return z.NEVER;
  });

const sizeError = 'expected a size such as "5MiB", "8KiB" or a number of bytes';
export const sizeSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(new RegExp(SIZE_PATTERN))], { error: sizeError })
  .transform((value) => (typeof value === 'number' ? value : (parseSize(value) as number)));

export interface Rate {
  /** Records (or bytes) allowed per window. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

function splitRate(text: string, parseAmount: (amount: string) => number | undefined, context: z.RefinementCtx): Rate {
  const slash = text.lastIndexOf('/');
  const window = text.slice(slash + 1).trim();
  const windowMs = parseDuration(window) as number;
  if (windowMs > MAX_DURATION_MS) {
    context.addIssue({ code: 'custom', message: tooLong('rate window', window), input: text });
    return z.NEVER;
  }
  return { limit: parseAmount(text.slice(0, slash).trim()) as number, windowMs };
}

const recordRateError = 'expected a record rate such as "100/15m" (records per window)';
export const recordRateSchema = z
  .string({ error: recordRateError })
  .regex(new RegExp(RATE_PATTERN), { error: recordRateError })
  .transform((text, context): Rate => splitRate(text, (amount) => Number(amount), context));

const byteRateError = 'expected a byte rate such as "1MiB/20m" (bytes per window)';
export const byteRateSchema = z
  .string({ error: byteRateError })
  .regex(new RegExp(BYTE_RATE_PATTERN), { error: byteRateError })
  .transform((text, context): Rate => splitRate(text, parseSize, context));
