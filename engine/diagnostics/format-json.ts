/** Machine-readable diagnostics: one JSON document, stable keys. */
import { type Diagnostic, countBySeverity, formatKeyPath, sortDiagnostics } from './diagnostic.js';

export interface JsonReport {
  readonly file: string | null;
  readonly valid: boolean;
  readonly errorCount: number;
  readonly warningCount: number;
  readonly diagnostics: readonly (Diagnostic & { readonly pathText: string })[];
}

export function buildJsonReport(file: string | null, diagnostics: readonly Diagnostic[]): JsonReport {
  const { errors, warnings } = countBySeverity(diagnostics);
  return {
    file,
    valid: errors === 0,
    errorCount: errors,
    warningCount: warnings,
    diagnostics: sortDiagnostics(diagnostics).map((diagnostic) => ({ ...diagnostic, pathText: formatKeyPath(diagnostic.path) })),
  };
}

export function formatJson(file: string | null, diagnostics: readonly Diagnostic[]): string {
  return `${JSON.stringify(buildJsonReport(file, diagnostics), null, 2)}\n`;
}
