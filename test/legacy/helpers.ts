/** Shared by the legacy tests: fixtures and a translation of inline conf text. */
import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../engine/diagnostics/diagnostic.js';
import { type Translation, translateConf } from '../../engine/legacy/translate.js';
import { fromRoot } from '../helpers/paths.js';

export function legacyFixture(name: string): string {
  return fromRoot('test', 'fixtures', 'legacy', name);
}

export function translateFixture(name: string): Translation {
  const file = legacyFixture(name);
  return translateConf({ file, text: readFileSync(file, 'utf8') });
}

/** Translates `[settings]` followed by the given lines (so line N of `lines` is line N+1 of the file). */
export function translateLines(...lines: string[]): Translation {
  return translateConf({ file: 'test.conf', text: ['[settings]', ...lines, ''].join('\n') });
}

/** The parts of a diagnostic a user reads first: where, how bad, which code. */
export function brief(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((diagnostic) => `${diagnostic.line ?? '-'} ${diagnostic.severity} ${diagnostic.code}`);
}
