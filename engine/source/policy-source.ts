/** A loaded policy document, with what is needed to point diagnostics at file:line:col. */
import type { Diagnostic, KeyPath } from '../diagnostics/diagnostic.js';

export type SourceFormat = 'yaml' | 'json' | 'package-json' | 'js' | 'ts' | 'telemetrics-conf';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface PolicySource {
  /** Path as the user gave it or as it was found (for messages). */
  readonly file: string;
  readonly format: SourceFormat;
  /** The document's plain value, before any validation. */
  readonly value: unknown;
  /** Position of the value at `path` (or of its key, with `key: true`); the nearest existing parent when absent. */
  locate(path: KeyPath, options?: { key?: boolean }): Position | undefined;
  /** Problems found while reading the document itself (syntax errors, duplicate keys). */
  readonly diagnostics: readonly Diagnostic[];
}

/** Attaches file and position to diagnostics made against a source's key paths. */
export function placeDiagnostics(source: PolicySource, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((diagnostic) => {
    if (diagnostic.line !== undefined) return { ...diagnostic, file: diagnostic.file ?? source.file };
    const keyLevel = diagnostic.code === 'schema-unknown-key' || diagnostic.code === 'duplicate-name';
    const position = source.locate(diagnostic.path, { key: keyLevel });
    return position ? { ...diagnostic, file: source.file, line: position.line, column: position.column } : { ...diagnostic, file: source.file };
  });
}
