/**
 * telemetrics.conf text → policy value, with every diagnostic at file:line and a `locate` that
 * points a policy key path back at the line of the key it came from.
 */
import type { PolicyInput } from '../../schemas/policy.js';
import { type Diagnostic, type DiagnosticCode, type KeyPath, type Severity, sortDiagnostics } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { Position } from '../source/policy-source.js';
import { type IniDocument, type IniEntry, parseIni } from './ini.js';
import { LEGACY_KEYS, LEGACY_KEY_NAMES, type LegacyKey, type LegacySettings, isLegacyKey } from './keys.js';
import { readSettings } from './read-settings.js';
import type { ReportFor } from './report.js';
import { settingsToPolicy } from './to-policy.js';

const SETTINGS_SECTION = 'settings';

/** A choice the translation made that is no problem but worth saying, such as the protocol taken from a URL. */
export interface TranslationNote {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export interface Translation {
  /** The file as named to the user, or null for upstream's compiled defaults. */
  readonly file: string | null;
  /** The policy as written, ready for validatePolicyValue. */
  readonly value: PolicyInput;
  /** What upstream's getters would return for every key. */
  readonly settings: LegacySettings;
  /** The entry that decides each key the file sets (the last one, as upstream). */
  readonly entries: ReadonlyMap<LegacyKey, IniEntry>;
  readonly diagnostics: readonly Diagnostic[];
  readonly notes: readonly TranslationNote[];
  /** Line and column in the conf of the key behind a policy key path, when the file sets it. */
  locate(path: KeyPath, options?: { key?: boolean }): Position | undefined;
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);
}

/**
 * The set key that best explains a policy path: one mapped exactly there, else one mapped inside
 * it; then the same for each parent, but siblings first (so destinations.collector.protocol
 * lands on the server line rather than on record_server_delivery_enabled).
 */
function entryBehind(path: KeyPath, entries: ReadonlyMap<LegacyKey, IniEntry>): IniEntry | undefined {
  const earliest = (keys: LegacyKey[]) =>
    keys
      .map((key) => entries.get(key))
      .filter((entry): entry is IniEntry => entry !== undefined)
      .sort((a, b) => a.line - b.line)[0];
  for (let length = path.length; length > 0; length -= 1) {
    const prefix = path.slice(0, length);
    const mappedAt = (exact: boolean) =>
      LEGACY_KEY_NAMES.filter((key) => LEGACY_KEYS[key].policy.some((mapped) => startsWith(mapped, prefix) && (mapped.length === prefix.length) === exact));
    const entry = length === path.length ? (earliest(mappedAt(true)) ?? earliest(mappedAt(false))) : (earliest(mappedAt(false)) ?? earliest(mappedAt(true)));
    if (entry) return entry;
  }
  return undefined;
}

/** How messages and the converted policy name where a translation came from. */
export function describeSource(file: string | null): string {
  return file ?? "upstream's compiled defaults (no telemetrics.conf was found)";
}

type Place = (line: number | undefined, column: number | undefined) => Pick<Diagnostic, 'file' | 'line' | 'column'>;

/** The entry deciding each known key in [settings] (the last one), with warnings for whatever upstream ignores. */
function settingsEntries(ini: IniDocument, at: Place, diagnostics: Diagnostic[]): Map<LegacyKey, IniEntry> {
  const entries = new Map<LegacyKey, IniEntry>();
  for (const section of ini.sections) {
    if (section.name === SETTINGS_SECTION) continue;
    diagnostics.push({
      code: 'conf-ignored-section',
      severity: 'warning',
      message: `section [${section.name}] is ignored: upstream reads only [${SETTINGS_SECTION}]${didYouMean(section.name, [SETTINGS_SECTION])}`,
      path: [],
      ...at(section.line, 1),
    });
  }
  const settingsSections = ini.sections.filter((section) => section.name === SETTINGS_SECTION);
  if (settingsSections.length === 0 && ini.sections.length + ini.problems.length > 0) {
    diagnostics.push({
      code: 'conf-no-settings',
      severity: 'warning',
      message: `there is no [${SETTINGS_SECTION}] section: every key takes upstream's compiled default`,
      path: [],
      ...at(undefined, undefined),
    });
  }
  for (const entry of settingsSections.flatMap((section) => section.entries)) {
    if (!isLegacyKey(entry.key)) {
      diagnostics.push({
        code: 'conf-unknown-key',
        severity: 'warning',
        message: `unknown key "${entry.key}" is ignored, as upstream ignores it${didYouMean(entry.key, LEGACY_KEY_NAMES)}`,
        path: [],
        ...at(entry.line, entry.keyColumn),
      });
      continue;
    }
    const earlier = entries.get(entry.key);
    if (earlier) {
      diagnostics.push({
        code: 'conf-duplicate-key',
        severity: 'warning',
        message: `${entry.key} is set again on line ${entry.line}: the last one wins, as upstream, so this one is ignored`,
        path: LEGACY_KEYS[entry.key].policy[0] ?? [],
        ...at(earlier.line, earlier.keyColumn),
      });
    }
    entries.set(entry.key, entry);
  }
  return entries;
}

/** Translates telemetrics.conf text; `file` is only used in messages. */
export function translateConf(options: { file: string | null; text: string }): Translation {
  const { file } = options;
  const ini = parseIni(options.text);
  const diagnostics: Diagnostic[] = ini.problems.map((problem) => ({ ...problem, path: [], ...(file === null ? {} : { file }) }));
  const at: Place = (line, column) => ({ ...(file === null ? {} : { file }), ...(line === undefined ? {} : { line, column: column ?? 1 }) });

  const entries = settingsEntries(ini, at, diagnostics);

  const notes: TranslationNote[] = [];
  const reportFor: ReportFor = (key) => {
    const entry = entries.get(key);
    const push = (severity: Severity) => (code: DiagnosticCode, message: string, hint?: string) => {
      diagnostics.push({ code, severity, message, path: LEGACY_KEYS[key].policy[0] ?? [], ...at(entry?.line, entry?.valueColumn), ...(hint ? { hint } : {}) });
    };
    const note = (code: DiagnosticCode, message: string) => notes.push({ code, message, ...at(entry?.line, entry?.valueColumn) });
    return { warn: push('warning'), error: push('error'), note };
  };
  const settings = readSettings(entries, reportFor);
  const value = settingsToPolicy(settings, {
    present: new Set(entries.keys()),
    reportFor,
    description: `Converted from ${describeSource(file)} by telem convert.`,
  });

  return {
    file,
    value,
    settings,
    entries,
    diagnostics: sortDiagnostics(diagnostics),
    notes,
    locate(path, locateOptions) {
      const entry = entryBehind(path, entries);
      return entry && { line: entry.line, column: locateOptions?.key ? entry.keyColumn : entry.valueColumn };
    },
  };
}

/** The policy upstream runs with when there is no telemetrics.conf at all. */
export function translateCompiledDefaults(): Translation {
  return translateConf({ file: null, text: '' });
}
