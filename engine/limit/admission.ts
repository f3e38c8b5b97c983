/**
 * Whether the record at the head of a route's queue goes now: the one decision the agent's
 * dispatcher and `telem simulate` both make, so a simulation drops, defers and expires exactly the
 * records the agent would. An admitted record is counted against the limit.
 */
import type { RateLimiter } from './limiter.js';

export interface RouteLimit {
  readonly limiter: RateLimiter;
  readonly whenExceeded: 'spool' | 'drop';
}

export type Admission =
  | { readonly verdict: 'admit' }
  | { readonly verdict: 'expire' }
  | { readonly verdict: 'drop'; readonly reason: 'rate_limited' | 'exceeds_byte_limit' }
  /** Over the limit with when_exceeded: spool: try again at `until`. */
  | { readonly verdict: 'wait'; readonly until: number };

export interface Candidate {
  /** Payload bytes, as the byte limit counts them. */
  readonly bytes: number;
  /** When the record was accepted, and how long it may wait in the spool from then. */
  readonly acceptedAt: number;
  readonly expiryMs: number;
}

export function admit(limit: RouteLimit | null | undefined, candidate: Candidate, now: number): Admission {
  if (now > candidate.acceptedAt + candidate.expiryMs) return { verdict: 'expire' };
  if (!limit) return { verdict: 'admit' };
  const check = limit.limiter.check(candidate.bytes, now);
  if (!check.allowed) {
    if (check.never) return { verdict: 'drop', reason: 'exceeds_byte_limit' };
    if (limit.whenExceeded === 'drop') return { verdict: 'drop', reason: 'rate_limited' };
    return { verdict: 'wait', until: check.retryAt };
  }
  limit.limiter.consume(candidate.bytes, now);
  return { verdict: 'admit' };
}
