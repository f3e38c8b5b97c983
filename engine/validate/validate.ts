/**
 * Validation: schema first (types, units, unknown keys), then semantic checks on the parsed
 * policy. The result carries every diagnostic and, when there is no error, the resolved policy.
 */
import { policySchema } from '../../schemas/policy.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { type Diagnostic, type KeyPath, hasErrors } from '../diagnostics/diagnostic.js';
import { type PolicySource, placeDiagnostics } from '../source/policy-source.js';
import { checkCollection } from './checks/collection.js';
import { checkCollector } from './checks/collector.js';
import { checkDestinations } from './checks/destinations.js';
import { checkFleet } from './checks/fleet.js';
import { checkIntake } from './checks/intake.js';
import { checkPaths } from './checks/paths.js';
import { checkRateLimits } from './checks/rate-limits.js';
import { checkRoutes } from './checks/routes.js';
import { checkSpool } from './checks/spool.js';
import { compileCheck } from './compile-check.js';
import { repairPolicy } from './repair.js';
import { resolvePolicy } from './resolve.js';
import { issueMessage, issuesToDiagnostics } from './schema-issues.js';

const CHECKS = [checkRoutes, checkRateLimits, checkSpool, checkIntake, checkPaths, checkCollection, checkDestinations, checkFleet, checkCollector];

export interface ValidationResult {
  /** The resolved policy, present exactly when no diagnostic is an error. */
  readonly policy: ResolvedPolicy | null;
  readonly diagnostics: readonly Diagnostic[];
}

/** Validates a plain policy value (from any source) without positions. */
export function validatePolicyValue(value: unknown, sourceName: string | null = null): ValidationResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      policy: null,
      diagnostics: [{ code: 'not-a-policy', severity: 'error', message: 'a policy must be a mapping with apiVersion, kind and metadata', path: [] }],
    };
  }
  const parsed = parse(value);
  if (!parsed.success) {
    const schemaDiagnostics = issuesToDiagnostics(parsed.error.issues, value);
    return { policy: null, diagnostics: [...schemaDiagnostics, ...checksAfterRepair(value)] };
  }
  const diagnostics = CHECKS.flatMap((check) => check(parsed.data));
  if (hasErrors(diagnostics)) return { policy: null, diagnostics };
  const policy = resolvePolicy(parsed.data, sourceName);
  const compiled = compileCheck(policy);
  return { policy: compiled.length > 0 ? null : policy, diagnostics: [...diagnostics, ...compiled] };
}

function parse(value: unknown) {
  return policySchema.safeParse(value, { reportInput: true, error: issueMessage });
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

/** Semantic findings on a repaired copy, minus those caused by the repair itself. */
function checksAfterRepair(value: unknown): Diagnostic[] {
  const repair = repairPolicy(value, (draft) => {
    const result = parse(draft);
    return result.success ? [] : result.error.issues;
  });
  if (!repair) return [];
  const repaired = parse(repair.value);
  if (!repaired.success) return [];
  return CHECKS.flatMap((check) => check(repaired.data)).filter((diagnostic) => {
    if (repair.touched.some((path) => startsWith(diagnostic.path, path) || startsWith(path, diagnostic.path))) return false;
    if (diagnostic.code !== 'unknown-destination') return true;
    const target = diagnostic.path[3];
    const routes = (value as { routes?: { to?: unknown[] }[] }).routes;
    const name = typeof target === 'number' ? routes?.[diagnostic.path[1] as number]?.to?.[target] : undefined;
    return !(typeof name === 'string' && repair.brokenDestinations.has(name));
  });
}

/** Validates a loaded source: its own read problems first, then the value, placed at file:line:col. */
export function validatePolicySource(source: PolicySource): ValidationResult {
  if (hasErrors(source.diagnostics)) return { policy: null, diagnostics: source.diagnostics };
  const result = validatePolicyValue(source.value, source.file);
  return { policy: result.policy, diagnostics: [...source.diagnostics, ...placeDiagnostics(source, result.diagnostics)] };
}
