/** Destinations: the protocol agrees with the URL it is sent to. */
import { protocolInUrl } from '../../../schemas/destinations.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Check } from './check.js';

export const checkDestinations: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  for (const [name, destination] of Object.entries(policy.destinations)) {
    if (destination.type !== 'http') continue;
    const pathname = new URL(destination.url).pathname;
    const other = destination.protocol === 'v2' ? 'v3' : 'v2';
    if (protocolInUrl(destination.url) === other) {
      diagnostics.push({
        code: 'protocol-url-mismatch',
        severity: 'warning',
        message: `destination "${name}" speaks protocol ${destination.protocol} but its URL path ${pathname} looks like a ${other} endpoint`,
        path: ['destinations', name, 'protocol'],
        hint: `upstream servers answer 400 to the wrong protocol; set protocol: ${other} or fix the URL`,
      });
    }
  }
  return diagnostics;
};
