/**
 * The INI dialect of upstream's telemetrics.conf (libnica inifile.c, reference §D.2): lines
 * trimmed of spaces and tabs, `#`/`;` comments only at the start of a line, `[name]` sections,
 * `key=value` split at the first "=", `\s` for a space and any other backslash dropped,
 * case-sensitive names, the last duplicate wins. Upstream stops at the first bad line and refuses
 * the whole file; this parser reports every bad line with its position and keeps going.
 */
import type { DiagnosticCode } from '../diagnostics/codes.js';

export interface IniEntry {
  readonly key: string;
  /** The value after trimming and unescaping, as upstream reads it. */
  readonly value: string;
  /** The value as written between "=" and the end of the line, trimmed. */
  readonly written: string;
  /** 1-based line, and 1-based columns of the key and of the value. */
  readonly line: number;
  readonly keyColumn: number;
  readonly valueColumn: number;
}

export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: IniEntry[];
}

export interface IniProblem {
  readonly code: DiagnosticCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly hint?: string;
}

export interface IniDocument {
  /** Sections in file order; a name repeated later appears again (upstream merges them). */
  readonly sections: readonly IniSection[];
  readonly problems: readonly IniProblem[];
}

const REJECTED = 'upstream refuses the whole file and its daemons exit';

function isBlank(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

function leadingBlanks(text: string): number {
  let count = 0;
  while (isBlank(text[count])) count += 1;
  return count;
}

function trimBlanks(text: string): string {
  let end = text.length;
  while (end > 0 && isBlank(text[end - 1])) end -= 1;
  return text.slice(leadingBlanks(text), end);
}

/** Upstream's string_unescape: `\s` is a space, a backslash before anything else is dropped. */
export function unescapeValue(text: string): string {
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (char !== '\\') {
      out += char;
      index += 1;
    } else if (text[index + 1] === 's') {
      out += ' ';
      index += 2;
    } else {
      // The character after the backslash is read on the next turn, so "\\s" is a space too.
      index += 1;
    }
  }
  return out;
}

export function parseIni(text: string): IniDocument {
  const sections: IniSection[] = [];
  const problems: IniProblem[] = [];
  let current: IniSection | null = null;
  let sawCarriageReturn = false;

  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = index + 1;
    let content = rawLine;
    if (content.endsWith('\r')) {
      content = content.slice(0, -1);
      if (!sawCarriageReturn) {
        sawCarriageReturn = true;
        problems.push({
          code: 'conf-crlf',
          severity: 'warning',
          message: 'the file has CRLF line ends: upstream keeps the CR at the end of every value; telem drops it',
          line,
          column: content.length + 1,
          hint: 'save the file with LF line ends',
        });
      }
    }
    const indent = leadingBlanks(content);
    const trimmed = trimBlanks(content);
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;

    if (trimmed.startsWith('[')) {
      if (!trimmed.endsWith(']') || trimmed.length < 2) {
        problems.push({
          code: 'conf-section-unclosed',
          severity: 'error',
          message: `section header without a closing "]": ${REJECTED}`,
          line,
          column: indent + 1,
          hint: 'write the section as [settings]',
        });
        continue;
      }
      current = { name: trimmed.slice(1, -1), line, entries: [] };
      sections.push(current);
      continue;
    }

    const equals = trimmed.indexOf('=');
    if (equals < 0) {
      problems.push({
        code: 'conf-invalid-line',
        severity: 'error',
        message: `expected key=value, a [section] or a comment: ${REJECTED}`,
        line,
        column: indent + 1,
        hint: 'comments need "#" or ";" at the start of the line; a comment after a value is part of the value',
      });
      continue;
    }
    if (!current) {
      problems.push({
        code: 'conf-key-outside-section',
        severity: 'error',
        message: `key=value before any [section]: ${REJECTED}`,
        line,
        column: indent + 1,
        hint: 'put [settings] on a line above it',
      });
      continue;
    }
    const keyPart = trimmed.slice(0, equals);
    const key = trimBlanks(keyPart);
    if (key === '') {
      problems.push({ code: 'conf-empty-key', severity: 'error', message: `"=" with no key before it: ${REJECTED}`, line, column: indent + 1 });
      continue;
    }
    const valuePart = trimmed.slice(equals + 1);
    const written = trimBlanks(valuePart);
    const value = unescapeValue(written);
    const valueColumn = indent + equals + 2 + leadingBlanks(valuePart);
    if (written.replaceAll('\\s', '').includes('\\')) {
      problems.push({
        code: 'conf-escape-dropped',
        severity: 'warning',
        message: `a backslash in the value of ${key} is dropped: upstream reads ${JSON.stringify(written)} as ${JSON.stringify(value)}`,
        line,
        column: valueColumn,
        hint: 'telemetrics.conf cannot hold a backslash; "\\s" is its only escape (a space)',
      });
    }
    current.entries.push({ key, value, written, line, keyColumn: indent + leadingBlanks(keyPart) + 1, valueColumn });
  }
  return { sections, problems };
}
