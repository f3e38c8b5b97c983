/**
 * Errors are data: every problem the engine finds is a Diagnostic with a stable code. The
 * library never prints or exits; formatters render diagnostics and the CLI picks exit codes.
 */

import type { DiagnosticCode } from './codes.js';

export type { DiagnosticCode } from './codes.js';

export type Severity = 'error' | 'warning';

/** A key path into a policy document, such as ["routes", 0, "to", 1]. */
export type KeyPath = readonly (string | number)[];

export interface Diagnostic {
  /** Stable identifier, such as "unknown-destination"; safe to match on in scripts (see codes.ts). */
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly path: KeyPath;
  /** File the problem is in, when it comes from a file. */
  readonly file?: string;
  /** 1-based position of the offending key or value, when the source format has positions. */
  readonly line?: number;
  readonly column?: number;
  /** What to do about it. */
  readonly hint?: string;
}

/** Renders a key path the way people read it: routes[0].to[1]. */
export function formatKeyPath(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const diagnostic of diagnostics) if (diagnostic.severity === 'error') errors += 1;
  return { errors, warnings: diagnostics.length - errors };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'error');
}

/** Orders diagnostics by file position (unpositioned last), keeping the original order otherwise. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics
    .map((diagnostic, index) => ({ diagnostic, index }))
    .sort((a, b) => (a.diagnostic.line ?? Infinity) - (b.diagnostic.line ?? Infinity) || (a.diagnostic.column ?? 0) - (b.diagnostic.column ?? 0) || a.index - b.index)
    .map(({ diagnostic }) => diagnostic);
}
