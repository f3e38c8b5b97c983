/** The hash of a resolved policy's settings, equal for equal settings wherever they came from. */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { canonicalHash } from './canonical-json.js';

/** sha256 (hex) of the canonical JSON of the resolved policy without its `source`. */
export function policyHash(policy: ResolvedPolicy): string {
  const { source: _source, ...settings } = policy;
  return canonicalHash(settings);
}
