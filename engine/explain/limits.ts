/** A route's rate limit as the policy writes it, and what the limiter says of one record. */
import type { LimiterSettings } from '../compile/runtime-plan.js';
import { admit } from '../limit/admission.js';
import { createLimiter } from '../limit/limiter.js';
import { showValue } from '../plan/values.js';

/** "records: 100/15m, bytes: 1MiB/20m, when_exceeded: drop" (the algorithm only when it is not the default). */
export function describeLimit(limit: LimiterSettings): string {
  const parts: string[] = [];
  if (limit.records) parts.push(`records: ${showValue('records', limit.records)}`);
  if (limit.bytes) parts.push(`bytes: ${showValue('bytes', limit.bytes)}`);
  parts.push(`when_exceeded: ${limit.whenExceeded}`);
  if (limit.algorithm !== 'sliding') parts.push(`algorithm: ${limit.algorithm}`);
  return parts.join(', ');
}

export type FirstVerdict = 'admit' | 'exceeds_byte_limit';

/**
 * What the dispatcher's admission decides for this payload on a route whose window is empty: a
 * record larger than the byte limit can never go (dropped: exceeds_byte_limit); any other verdict
 * depends on the records before it, which only the running agent knows.
 */
export function firstRecordVerdict(limit: LimiterSettings | null, payloadBytes: number): FirstVerdict {
  if (!limit) return 'admit';
  const now = Date.now();
  const admission = admit({ limiter: createLimiter(limit), whenExceeded: limit.whenExceeded }, { bytes: payloadBytes, acceptedAt: now, expiryMs: Infinity }, now);
  return admission.verdict === 'drop' && admission.reason === 'exceeds_byte_limit' ? 'exceeds_byte_limit' : 'admit';
}
