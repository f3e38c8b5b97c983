/** Collector: limits and deadlines that the HTTP server can honour as written. */
import { formatDuration, formatSize } from '../../../schemas/units.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

export const checkCollector: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const { collector } = policy;
  const { timeouts } = collector;
  for (const key of ['headers', 'request', 'idle', 'keep_alive'] as const) {
    if (timeouts[key] > 0) continue;
    // Node reads 0 as "no deadline", which is what these settings exist to prevent.
    diagnostics.push({
      code: 'collector-timeout-zero',
      severity: 'error',
      message: `collector.timeouts.${key} is 0: a client could hold a connection for ever`,
      path: ['collector', 'timeouts', key],
    });
  }
  if (timeouts.headers > timeouts.request) {
    diagnostics.push({
      code: 'collector-headers-timeout-over-request',
      severity: 'error',
      message: `collector.timeouts.headers ${formatDuration(timeouts.headers)} is longer than timeouts.request ${formatDuration(timeouts.request)}, which includes the head`,
      path: ['collector', 'timeouts', 'headers'],
    });
  }
  if (collector.max_body_memory < collector.max_body) {
    diagnostics.push({
      code: 'collector-body-memory-below-max-body',
      severity: 'error',
      message: `collector.max_body_memory ${formatSize(collector.max_body_memory)} is below max_body ${formatSize(collector.max_body)}: a body of the allowed size could never be received`,
      path: ['collector', 'max_body_memory'],
    });
  }
  // Port 0 picks a free port for each listener, so the same text may name two addresses.
  if (collector.listen_api !== null && collector.listen_api === collector.listen && !collector.listen.endsWith(':0')) {
    diagnostics.push({
      code: 'collector-listen-api-same',
      severity: 'error',
      message: `collector.listen_api is the same address as listen (${collector.listen}); give the API its own address, or leave it null to serve everything on listen`,
      path: ['collector', 'listen_api'],
    });
  }
  return diagnostics;
};
