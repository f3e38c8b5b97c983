/** Turns zod issues into diagnostics whose messages read well to operators. */
import type { z } from 'zod';
import type { Diagnostic, DiagnosticCode, KeyPath } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { knownKeysAt } from './schema-keys.js';

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}

function sizeWord(origin: string | undefined, amount: number | bigint): string {
  if (origin === 'array') return `${amount} item${amount === 1 ? '' : 's'}`;
  if (origin === 'string') return `${amount} character${amount === 1 ? '' : 's'}`;
  return String(amount);
}

/** Per-parse error map: messages for issues whose schema did not bring its own. */
export function issueMessage(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'cannot be empty';
      if (issue.origin === 'array' && Number(issue.minimum) === 1) return 'needs at least one item';
      // positive() is an exclusive minimum of 0: "at least 0" would wrongly allow 0.
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${sizeWord(issue.origin, issue.minimum as number)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${sizeWord(issue.origin, issue.maximum as number)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'invalid_union': {
      const options = [...new Set(issue.errors.map((branch) => branch[0]?.message).filter(Boolean))];
      return options.length > 0 ? options.join('; or ') : `invalid value ${describeValue(issue.input)}`;
    }
    case 'invalid_format':
      return `expected ${issue.format === 'url' ? 'a URL' : `a ${issue.format}`}, got ${describeValue(issue.input)}`;
    default:
      return `invalid value ${describeValue(issue.input)}`;
  }
}

const CODES: Partial<Record<Issue['code'], DiagnosticCode>> = {
  invalid_type: 'schema-invalid-type',
  too_small: 'schema-out-of-range',
  too_big: 'schema-out-of-range',
  invalid_value: 'schema-invalid-value',
  invalid_format: 'schema-invalid-format',
  invalid_union: 'schema-invalid-value',
};

function isNullMismatch(issues: readonly Issue[]): boolean {
  return issues.length === 1 && issues[0]?.code === 'invalid_type' && issues[0].expected === 'null';
}

/** A union with `null` reports its one real branch; surface that branch's issues instead. */
export function flattenUnion(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const real = issue.errors.filter((branch) => !isNullMismatch(branch));
  if (real.length !== 1 || issue.errors.length === 1) return [issue];
  return (real[0] ?? []).flatMap((inner) => flattenUnion({ ...inner, path: [...issue.path, ...inner.path] } as Issue));
}

/** `schema` is the JSON Schema that names the keys allowed for "did you mean" (default: the policy's). */
export function issuesToDiagnostics(issues: readonly Issue[], document: unknown, schema?: object): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of issues.flatMap(flattenUnion)) {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)) as KeyPath;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(path, document, schema);
      for (const key of issue.keys) {
        diagnostics.push({
          code: 'schema-unknown-key',
          severity: 'error',
          message: `unknown key "${key}"${didYouMean(key, known)}`,
          path: [...path, key],
          ...(known.length > 0 ? { hint: `allowed here: ${known.join(', ')}` } : {}),
        });
      }
      continue;
    }
    if (issue.code === 'invalid_type' && issue.input === undefined && path.length > 0) {
      const key = path[path.length - 1];
      diagnostics.push({
        code: 'schema-missing-key',
        severity: 'error',
        message: typeof key === 'number' ? `missing item ${key}` : `missing required key "${key}"`,
        path,
      });
      continue;
    }
    diagnostics.push({ code: CODES[issue.code] ?? 'schema-invalid-value', severity: 'error', message: issue.message, path });
  }
  return diagnostics;
}
