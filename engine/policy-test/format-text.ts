/** The people's report of `telem test`: each case passed or failed, a diff per failed expectation, then a summary. */
import { formatText } from '../diagnostics/format-text.js';
import { diffValues } from './line-diff.js';
import type { CaseResult, ExpectationFailure, FileResult, TestRun } from './result.js';

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function failureLines(failure: ExpectationFailure): string[] {
  const where = failure.record === undefined ? '' : ` (record ${failure.record} of ${failure.of}${(failure.failing ?? 0) > 1 ? `, and ${(failure.failing as number) - 1} more` : ''})`;
  return [`${failure.path}${where}: - expected, + actual`, ...diffValues(failure.expected, failure.actual).map((line) => `  ${line}`)];
}

function caseLines(file: string, result: CaseResult): string[] {
  if (result.passed) return [`  ✓ ${result.name}`];
  const at = result.line === null ? file : `${file}:${result.line}`;
  return [`  ✗ ${result.name}  (${at})`, ...result.failures.flatMap(failureLines).map((line) => `      ${line}`)];
}

function fileLines(result: FileResult): string[] {
  if (result.diagnostics.length > 0)
    return [
      `BROKEN ${result.file}`,
      ...formatText(result.diagnostics)
        .trimEnd()
        .split('\n')
        .map((line) => (line ? `  ${line}` : '')),
    ];
  const failed = result.cases.some((entry) => !entry.passed);
  const policy = result.policy ? ` (policy "${result.policy.name}", revision ${result.policy.revision})` : '';
  return [`${failed ? 'FAIL' : 'PASS'} ${result.file}${policy}`, ...result.cases.flatMap((entry) => caseLines(result.file, entry))];
}

export function formatTestRunText(run: TestRun): string {
  const { summary } = run;
  const ok = summary.failed === 0 && summary.broken === 0 && summary.files > 0;
  const counts = [`${summary.passed} passed`, `${summary.failed} failed`, ...(summary.broken > 0 ? [`${plural(summary.broken, 'broken test file')}`] : [])];
  const lines = [...run.files.flatMap((file) => [...fileLines(file), '']), `${ok ? '✔' : '✖'} ${counts.join(', ')} (${plural(summary.cases, 'case')} in ${plural(summary.files, 'file')})`];
  return `${lines.join('\n')}\n`;
}
