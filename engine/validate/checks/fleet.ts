/** Fleet: bundles can be verified, stages grow to the whole fleet. */
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
  const names = new Map<string, number>();
  fleet.stages.forEach((stage, index) => {
    const first = names.get(stage.name);
    if (first === undefined) names.set(stage.name, index);
    else {
      diagnostics.push({
        code: 'duplicate-name',
        severity: 'error',
        message: `stage name "${stage.name}" is already used by fleet.stages[${first}]`,
        path: ['fleet', 'stages', index, 'name'],
      });
    }
    const previous = fleet.stages[index - 1];
    if (previous && stage.percent < previous.percent) {
      diagnostics.push({
        code: 'rollout-shrinks',
        severity: 'error',
        message: `stage "${stage.name}" covers ${stage.percent}% of the fleet, less than stage "${previous.name}" before it (${previous.percent}%)`,
        path: ['fleet', 'stages', index, 'percent'],
      });
    }
  });
  const last = fleet.stages[fleet.stages.length - 1];
  if (last && last.percent < 100) {
    diagnostics.push({
      code: 'rollout-incomplete',
      severity: 'warning',
      message: `the last stage "${last.name}" reaches ${last.percent}% of the fleet; the rest never gets new policies`,
      path: ['fleet', 'stages', fleet.stages.length - 1, 'percent'],
    });
  }
  return diagnostics;
};
