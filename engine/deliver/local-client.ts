/**
 * A local destination: nothing leaves the machine. The record counts as delivered at once; the
 * journal line and the retained payload (written by the agent for every delivery) are its trace.
 */
import type { DestinationClient } from './destination.js';

export function createLocalClient(config: { readonly name: string }): DestinationClient {
  return {
    name: config.name,
    deliver: () => Promise.resolve({ outcome: 'delivered' }),
    close: () => Promise.resolve(),
  };
}
