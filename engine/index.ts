/** telem's library: policy model, loading, validation, diagnostics, records, intake, consent and the probe API. */
export { definePolicy } from './define-policy.js';
export { API_VERSION, policySchema, type ParsedPolicy, type PolicyInput } from '../schemas/policy.js';
export type { ResolvedDestination, ResolvedPolicy, ResolvedRoute } from '../schemas/resolved.js';
export { formatDuration, formatSize, parseDuration, parseSize, type Rate } from '../schemas/units.js';
export { type Diagnostic, type KeyPath, type Severity, formatKeyPath, hasErrors, countBySeverity } from './diagnostics/diagnostic.js';
export { DIAGNOSTIC_CODES, type DiagnosticCode } from './diagnostics/codes.js';
export { TelemError, type TelemErrorOptions } from './errors/telem-error.js';
export { ERROR_CODES, type ErrorCode } from './errors/codes.js';
export { formatText, summaryLine } from './diagnostics/format-text.js';
export { buildJsonReport, formatJson, type JsonReport } from './diagnostics/format-json.js';
export { loadPolicySource, type LoadOptions, type LoadResult } from './load/load-policy.js';
export { POLICY_FILE_NAMES, POLICY_SEARCH_PLACES } from './load/search-places.js';
export type { PolicySource, Position, SourceFormat } from './source/policy-source.js';
export { validatePolicySource, validatePolicyValue, type ValidationResult } from './validate/validate.js';
export { checkPolicyFile, type CheckedPolicy } from './load/check-file.js';
export { resolvePolicy } from './validate/resolve.js';
export { classificationMatches, globCovers } from './pattern/glob.js';
export { translateConf, translateCompiledDefaults, type Translation } from './legacy/translate.js';
export { findTelemetricsConf, loadTelemetricsConf, type FoundConf, type LoadedConf } from './legacy/search.js';
export { policyToConf, type ConfConversion } from './legacy/to-conf.js';
export { policyYaml } from './legacy/write-policy.js';
export { RECORD_HEADERS, RECORD_FORMAT_VERSION, MACHINE_ID_PLACEHOLDER, type RecordHeader, type RecordHeaders, type TelemetryRecord } from './record/fields.js';
export { RecordError, type RecordProblem } from './record/problem.js';
export { checkClassification, checkEventId, checkSeverity, randomId } from './record/classification.js';
export { checkPayloadText, MAX_PAYLOAD_BYTES } from './record/payload.js';
export { readHostHeaders, type HostHeaders } from './record/host.js';
export { buildRecord, withHeader, type NewRecord } from './record/build.js';
export {
  decodeFrame,
  encodeFrame,
  DEFAULT_FRAME_LIMITS,
  FRAME_REJECT_REASONS,
  maxFrameSize,
  type DecodedFrame,
  type FrameLimits,
  type FrameRejection,
  type FrameRejectReason,
} from './record/frame.js';
export { formatStagedRecord, parseStagedRecord, readStagedRecordFile, writeStagedRecordFile, type StagedRecord } from './record/staged-file.js';
export { createIntakeServer, IntakeServer, type IntakeServerOptions } from './intake/server.js';
export { intakeOptionsFromPolicy, type IntakeContext } from './intake/from-policy.js';
export type { AcceptedRecord, ConsentProvider, MachineIdProvider, RecordSink } from './intake/sink.js';
export { REJECT_REASONS, type IntakeStats, type RejectReason } from './intake/stats.js';
export { MACHINE_ID_FILE, NOT_OPTED_IN_MESSAGE, OPT_IN_FILE, STATIC_MACHINE_ID_FILE } from './consent/files.js';
export { ConsentGate, isOptedIn, optIn, optOut } from './consent/opt-in.js';
export { describeMachineId, MachineIdSource, readStaticMachineId, type MachineIdInfo } from './consent/machine-id.js';
export { checkConfigFile, createRecord, setConfigFile, setEventId, setPayload, type CreateRecordOptions, type ProbeRecord } from './probe/record.js';
export { send, writeFrame, type SendableRecord, type SendOptions } from './probe/send.js';
export { loadProbeSettings, type ProbeSettings, type ProbeSettingsOptions } from './probe/settings.js';
export { compilePolicy } from './compile/compile.js';
export type { RuntimePlan, RuntimeRoute } from './compile/runtime-plan.js';
export { Agent, type AcceptResult, type AgentStatus } from './agent/agent.js';
export { startRuntime, type Runtime, type RuntimeOptions } from './agent/runtime.js';
export { loadAgentPolicy, type AgentPolicy } from './load/agent-policy.js';
