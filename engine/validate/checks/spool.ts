/** Spool: there is room for a record, and retries happen within a record's lifetime. */
import { formatDuration } from '../../../schemas/units.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

export const checkSpool: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const { expiry, retry, max_size: maxSize } = policy.spool;
  if (maxSize === 0) {
    diagnostics.push({
      code: 'spool-size-zero',
      severity: 'error',
      message: 'spool.max_size 0B leaves the spool no room: every record would be dropped as soon as it arrives',
      path: ['spool', 'max_size'],
      hint: 'use a positive size or "unlimited"',
    });
  }
  if (expiry < retry.interval) {
    diagnostics.push({
      code: 'expiry-shorter-than-retry',
      severity: 'warning',
      message: `spool expiry ${formatDuration(expiry)} is shorter than the retry interval ${formatDuration(retry.interval)}: a record whose first delivery fails expires before it is retried`,
      path: ['spool', 'expiry'],
      hint: 'raise spool.expiry or lower spool.retry.interval',
    });
  }
  if (retry.max_interval < retry.interval) {
    diagnostics.push({
      code: 'retry-max-below-interval',
      severity: 'warning',
      message: `spool.retry.max_interval ${formatDuration(retry.max_interval)} is below retry.interval ${formatDuration(retry.interval)}; retries will wait ${formatDuration(retry.max_interval)}`,
      path: ['spool', 'retry', 'max_interval'],
    });
  }
  return diagnostics;
};
