/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as a wait in ms from `now`. */

/** The wait the server asked for, or undefined when the header is absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the IMF-fixdate family is meant here; Date.parse also reads RFC 850 and asctime dates.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
