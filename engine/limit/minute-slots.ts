/**
 * Upstream telempostd's rate limit (reference §E.3): 60 slots indexed by the local-time minute.
 * Kept for converted telemetrics.conf policies so they behave as before; byte counts are real
 * payload bytes here, not upstream's 4 per record (§G.4).
 */

export const SLOT_COUNT = 60;

/** Whether adding `increment` keeps the window ending at `minute` within `limit` (rate_limit_check). */
export function slotsAllow(options: { slots: readonly number[]; minute: number; windowMinutes: number; limit: number; increment: number }): boolean {
  const { slots, minute, windowMinutes, limit, increment } = options;
  const start = (SLOT_COUNT + minute - windowMinutes + 1) % SLOT_COUNT;
  let count = increment;
  for (let offset = 0; offset < windowMinutes; offset += 1) count += slots[(start + offset) % SLOT_COUNT] ?? 0;
  return count <= limit;
}

/** Records `increment` at `minute` and clears the slots outside the window (rate_limit_update). */
export function slotsRecord(options: { slots: number[]; minute: number; windowMinutes: number; increment: number }): void {
  const { slots, minute, windowMinutes, increment } = options;
  slots[minute] = (slots[minute] ?? 0) + increment;
  for (let offset = 1; offset <= SLOT_COUNT - windowMinutes; offset += 1) slots[(minute + offset) % SLOT_COUNT] = 0;
}
