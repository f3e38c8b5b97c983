/** telem's library: policy model, loading, validation and diagnostics. */
export { definePolicy } from './define-policy.js';
export { API_VERSION, policySchema, type ParsedPolicy, type PolicyInput } from '../schemas/policy.js';
export type { ResolvedDestination, ResolvedPolicy, ResolvedRoute } from '../schemas/resolved.js';
export { formatDuration, formatSize, parseDuration, parseSize, type Rate } from '../schemas/units.js';
export { type Diagnostic, type KeyPath, type Severity, formatKeyPath, hasErrors, countBySeverity } from './diagnostics/diagnostic.js';
export { formatText, summaryLine } from './diagnostics/format-text.js';
export { buildJsonReport, formatJson, type JsonReport } from './diagnostics/format-json.js';
export { loadPolicySource, type LoadOptions, type LoadResult } from './load/load-policy.js';
export { POLICY_FILE_NAMES, POLICY_SEARCH_PLACES } from './load/search-places.js';
export type { PolicySource, Position, SourceFormat } from './load/source.js';
export { validatePolicySource, validatePolicyValue, type ValidationResult } from './validate/validate.js';
export { checkPolicyFile, type CheckedPolicy } from './validate/check-file.js';
export { resolvePolicy } from './validate/resolve.js';
export { classificationMatches, globCovers } from './route/glob.js';
export { translateConf, translateCompiledDefaults, type Translation } from './legacy/translate.js';
export { findTelemetricsConf, loadTelemetricsConf, type FoundConf, type LoadedConf } from './legacy/search.js';
export { policyToConf, type ConfConversion } from './legacy/to-conf.js';
export { policyYaml } from './legacy/write-policy.js';
