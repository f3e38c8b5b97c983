/** What `telem test` found: per file, per case, every expectation that did not hold. */
import type { Diagnostic } from '../diagnostics/diagnostic.js';

export interface ExpectationFailure {
  /** The expectation, as written in the test file: "outcome", "last.body.central", "counts". */
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
  /** For a record-level expectation of a case with several records: the first record (1-based, time order) it fails for, and how many it fails for. */
  readonly record?: number;
  readonly failing?: number;
  readonly of?: number;
}

export interface CaseResult {
  readonly name: string;
  readonly line: number | null;
  readonly passed: boolean;
  readonly records: number;
  readonly failures: readonly ExpectationFailure[];
}

export interface FileResult {
  readonly file: string;
  /** The policy under test, when it loaded. */
  readonly policy: { readonly file: string; readonly name: string; readonly revision: number } | null;
  /** Errors that kept the file's cases from running (a broken test file). */
  readonly diagnostics: readonly Diagnostic[];
  readonly cases: readonly CaseResult[];
}

export interface TestSummary {
  readonly files: number;
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
  /** Test files whose cases could not run. */
  readonly broken: number;
}

export interface TestRun {
  readonly format_version: 1;
  readonly files: readonly FileResult[];
  readonly summary: TestSummary;
}

export function summarize(files: readonly FileResult[]): TestSummary {
  const cases = files.flatMap((file) => file.cases);
  const passed = cases.filter((result) => result.passed).length;
  return { files: files.length, cases: cases.length, passed, failed: cases.length - passed, broken: files.filter((file) => file.diagnostics.length > 0).length };
}
