/** Intake: a slow or silent client cannot hold a connection slot for long, and no one user can hold them all. */
import { formatDuration } from '../../../schemas/units.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

/** Beyond this a timeout no longer protects the slots: one stuck probe per slot blocks intake for good. */
const LONGEST_SENSIBLE_TIMEOUT_MS = 3_600_000;

export const checkIntake: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const { intake } = policy;
  for (const key of ['read_timeout', 'first_byte_timeout'] as const) {
    if (intake[key] <= LONGEST_SENSIBLE_TIMEOUT_MS) continue;
    diagnostics.push({
      code: 'intake-timeout-long',
      severity: 'warning',
      message: `intake.${key} ${formatDuration(intake[key])} is over 1 hour: a slow or silent client could hold one of the ${intake.max_connections} intake slots that long`,
      path: ['intake', key],
      hint: 'a local probe writes its record at once; a few seconds is plenty (the default is 5s for read_timeout, 2s for first_byte_timeout)',
    });
  }
  if (intake.max_connections_per_uid >= intake.max_connections) {
    diagnostics.push({
      code: 'intake-one-user-takes-all',
      severity: 'warning',
      message: `intake.max_connections_per_uid ${intake.max_connections_per_uid} is not below max_connections ${intake.max_connections}: one local user can take every intake slot`,
      path: ['intake', 'max_connections_per_uid'],
      hint: "keep it a share of max_connections (the defaults are 64 of 256), so other users' probes always find a slot",
    });
  }
  return diagnostics;
};
