/** Rate limits: windows that make sense against the spool they defer into. */
import { formatDuration } from '../../../schemas/units.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

const HOUR_MS = 3_600_000;

export const checkRateLimits: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  policy.routes.forEach((route, index) => {
    const limit = route.rate_limit;
    if (!limit) return;
    if (!limit.records && !limit.bytes) {
      diagnostics.push({
        code: 'rate-limit-empty',
        severity: 'warning',
        message: `route "${route.name}" has a rate_limit with neither records nor bytes, so nothing is limited`,
        path: ['routes', index, 'rate_limit'],
      });
    }
    for (const kind of ['records', 'bytes'] as const) {
      const rate = limit[kind];
      if (!rate) continue;
      const path = ['routes', index, 'rate_limit', kind];
      if (rate.windowMs === 0) {
        diagnostics.push({
          code: 'rate-window-zero',
          severity: 'error',
          message: `route "${route.name}" has a ${kind} rate window of zero, which cannot count anything`,
          path,
          hint: 'give the window a length, such as "100/15m"',
        });
      } else if (rate.windowMs > policy.spool.expiry) {
        diagnostics.push({
          code: 'rate-window-exceeds-expiry',
          severity: 'warning',
          message: `route "${route.name}" has a ${kind} rate window of ${formatDuration(rate.windowMs)}, longer than the spool expiry of ${formatDuration(policy.spool.expiry)}: deferred records can expire before the window frees up`,
          path,
          hint: 'shorten the window or raise spool.expiry',
        });
      }
      if (limit.algorithm === 'minute-slots' && (rate.windowMs % 60_000 !== 0 || rate.windowMs >= HOUR_MS)) {
        diagnostics.push({
          code: 'rate-window-not-slots',
          severity: 'error',
          message: `route "${route.name}" uses algorithm "minute-slots", which needs a whole number of minutes under 60, got ${formatDuration(rate.windowMs)}`,
          path,
          hint: 'use algorithm "sliding" for other windows',
        });
      }
    }
  });
  return diagnostics;
};
