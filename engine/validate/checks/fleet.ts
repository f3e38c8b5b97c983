/** Fleet: bundles from fleet.source can be verified. */
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

export const checkFleet: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const { fleet } = policy;
  if (fleet.source !== null && fleet.trusted_keys.length === 0) {
    diagnostics.push({
      code: 'fleet-untrusted-source',
      severity: 'error',
      message: 'fleet.source is set but fleet.trusted_keys is empty, so no bundle could ever be verified',
      path: ['fleet', 'trusted_keys'],
      hint: 'add the public key bundles are signed with, as "ed25519:<base64>"',
    });
  }
  return diagnostics;
};
