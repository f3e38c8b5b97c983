/** Destinations: the protocol agrees with the URL it is sent to, and batch settings go with the protocol that batches. */
import { TELEM_BATCH_PATH, batchIsDefault, protocolInUrl } from '../../../schemas/destinations.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

const ENDPOINT = { v2: 'a v2 endpoint', v3: 'a v3 endpoint', telem: "a telem collector's batch endpoint" } as const;

export const checkDestinations: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  for (const [name, destination] of Object.entries(policy.destinations)) {
    if (destination.type !== 'http') continue;
    const pathname = new URL(destination.url).pathname;
    const named = protocolInUrl(destination.url);
    if (named !== undefined && named !== destination.protocol) {
      diagnostics.push({
        code: 'protocol-url-mismatch',
        severity: 'warning',
        message: `destination "${name}" speaks protocol ${destination.protocol} but its URL path ${pathname} looks like ${ENDPOINT[named]}`,
        path: ['destinations', name, 'protocol'],
        hint: `a collector answers 400 or 404 to the wrong protocol; set protocol: ${named} or fix the URL`,
      });
    } else if (destination.protocol === 'telem' && named === undefined) {
      diagnostics.push({
        code: 'protocol-url-mismatch',
        severity: 'warning',
        message: `destination "${name}" speaks protocol telem but its URL path ${pathname} is not a telem collector's ${TELEM_BATCH_PATH}`,
        path: ['destinations', name, 'url'],
        hint: `a telem collector takes batches at ${TELEM_BATCH_PATH}; upstream servers take v2 or v3 only`,
      });
    }
    if (destination.protocol !== 'telem' && !batchIsDefault(destination.batch)) {
      diagnostics.push({
        code: 'batch-without-telem',
        severity: 'error',
        message: `destination "${name}" sets batch, but protocol ${destination.protocol} sends one record per request`,
        path: ['destinations', name, 'batch'],
        hint: 'remove batch, or set protocol: telem for a telem collector',
      });
    }
  }
  return diagnostics;
};
