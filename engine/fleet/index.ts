/**
 * Fleet: signed policy bundles and the local floor. What the agent (fetching and applying bundles)
 * and the collector's fleet view build on: verifyBundle → a verified bundle or a coded TelemError;
 * checkFloor(local, bundle) → diagnostics.
 */
export { canonicalJson, canonicalHash, sha256Hex } from '../hash/canonical-json.js';
export { generateKeyPair, normalizePublicKey, parsePrivateKey, publicKeyText } from './keys.js';
export { policyHash } from '../hash/policy-hash.js';
export {
  BUNDLE_FORMAT,
  POLICY_FILE,
  buildBundle,
  fileStates,
  parseBundle,
  signatureStates,
  unverifiedPolicy,
  verifyBundle,
  type BundleManifest,
  type ParsedBundle,
  type VerifiedBundle,
  type VerifyOptions,
} from './bundle.js';
export { manifestRolloutSchema, parseRolloutFile, percentAt, resolveRollout, stepAt, type ManifestRollout } from './rollout.js';
export { cohortBucket, inCohort } from './cohort.js';
export { allowedDestinations, checkFloor, enforceFloor, withLocalFleetSettings } from './floor.js';
