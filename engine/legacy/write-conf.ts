/**
 * Settings → telemetrics.conf text in upstream's template style: every key, a comment above
 * each, spaces written as "\s". A value the dialect cannot hold (a backslash, a line break, a tab
 * at either end) is reported rather than written wrong.
 */
import type { Diagnostic, KeyPath } from '../diagnostics/diagnostic.js';
import { LEGACY_KEYS, LEGACY_KEY_NAMES, type LegacyKey, type LegacySettings } from './keys.js';

/** The value as the file must spell it, or undefined when upstream could not read it back. */
export function escapeConfValue(value: string): string | undefined {
  if (/[\\\n\r\0]/.test(value) || /^\t|\t$/.test(value)) return undefined;
  return value.replaceAll(' ', '\\s');
}

export interface ConfText {
  readonly text: string;
  readonly diagnostics: readonly Diagnostic[];
}

export interface FormatConfOptions {
  /** Comment lines at the top of the file. */
  readonly header: readonly string[];
  /** Keys not written (they take upstream's compiled default). */
  readonly omit?: ReadonlySet<LegacyKey>;
  /** Policy path a key's value came from, for diagnostics. */
  readonly pathOf?: (key: LegacyKey) => KeyPath;
}

export function formatConf(settings: LegacySettings, options: FormatConfOptions): ConfText {
  const diagnostics: Diagnostic[] = [];
  const lines = [...options.header.map((line) => (line === '' ? '#' : `# ${line}`)), '[settings]'];
  for (const key of LEGACY_KEY_NAMES) {
    if (options.omit?.has(key)) continue;
    const value = String(settings[key]);
    const escaped = escapeConfValue(value);
    if (escaped === undefined) {
      diagnostics.push({
        code: 'conf-value-not-expressible',
        severity: 'error',
        message: `${key} cannot hold ${JSON.stringify(value)}: telemetrics.conf drops backslashes and cannot hold line breaks or tabs at either end`,
        path: options.pathOf?.(key) ?? [],
      });
      continue;
    }
    lines.push('', `# ${LEGACY_KEYS[key].about}`, `${key}=${escaped}`);
  }
  return { text: `${lines.join('\n')}\n`, diagnostics };
}
