/** ESLint-style text: `file:line:col  severity  message  path  (code)`, then a summary line. */
import { type Diagnostic, countBySeverity, formatKeyPath, sortDiagnostics } from './diagnostic.js';

function location(diagnostic: Diagnostic): string {
  const file = diagnostic.file ?? '<policy>';
  return diagnostic.line === undefined ? file : `${file}:${diagnostic.line}:${diagnostic.column ?? 1}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const { errors, warnings } = countBySeverity(diagnostics);
  const mark = errors > 0 ? '✖' : '⚠';
  return `${mark} ${plural(errors + warnings, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})`;
}

export function formatText(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return '';
  const rows = sortDiagnostics(diagnostics).map((diagnostic) => ({
    cells: [location(diagnostic), diagnostic.severity, diagnostic.message, formatKeyPath(diagnostic.path) || '(root)', `(${diagnostic.code})`],
    hint: diagnostic.hint,
  }));
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => (row.cells[column] as string).length)));
  const lines: string[] = [];
  for (const row of rows) {
    const padded = row.cells.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] as number) : cell));
    lines.push(padded.join('  ').trimEnd());
    if (row.hint) lines.push(`${' '.repeat((widths[0] as number) + 2)}hint: ${row.hint}`);
  }
  lines.push('', summaryLine(diagnostics));
  return `${lines.join('\n')}\n`;
}
