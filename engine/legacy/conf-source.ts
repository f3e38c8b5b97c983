/**
 * A telemetrics.conf wherever a policy is accepted: recognised by its name (*.conf) or by an INI
 * `[settings]` line, translated, and handed on as a PolicySource whose positions are conf lines.
 */
import path from 'node:path';
import type { PolicySource } from '../source/policy-source.js';
import { type Translation, describeSource, translateConf } from './translate.js';

const SETTINGS_LINE = /^[ \t]*\[settings\][ \t]*\r?$/m;
/** Policy formats that are code: their text is never taken for a telemetrics.conf. */
const CODE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts']);

export function looksLikeTelemetricsConf(file: string, text: string): boolean {
  const extension = path.extname(file);
  if (extension === '.conf') return true;
  return !CODE_EXTENSIONS.has(extension) && SETTINGS_LINE.test(text);
}

export function translationSource(translation: Translation): PolicySource {
  return {
    file: describeSource(translation.file),
    format: 'telemetrics-conf',
    value: translation.value,
    locate: (keyPath, options) => translation.locate(keyPath, options),
    diagnostics: translation.diagnostics,
  };
}

export function telemetricsConfSource(options: { file: string; text: string }): PolicySource {
  return translationSource(translateConf(options));
}
