/**
 * Raw `[settings]` entries → the value of every key as upstream's getters would return it.
 * Integers are read like strtoll(value, NULL, 10): "15min" is 15 with a warning, text without
 * digits (upstream's 0) is an error and keeps the compiled default. Booleans accept
 * true/false/1/0 in any case, and out-of-range values go through the key table's checks.
 */
import type { IniEntry } from './ini.js';
import { LEGACY_KEYS, LEGACY_KEY_NAMES, type LegacyKey, type LegacySettings, compiledDefaults } from './keys.js';
import type { Reporter, ReportFor } from './report.js';

// strtoll's range: only ERANGE makes upstream reject the value.
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function readInteger(key: LegacyKey, text: string, report: Reporter): number | undefined {
  // strtoll skips C white space (a "\s" escape can put a space in front) and reads an optional sign and digits.
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  const digits = match?.[1];
  if (digits === undefined) {
    // Upstream's 0 is never what text meant, and for most keys it silently stops delivery.
    const zero = LEGACY_KEYS[key].zero;
    report.error(
      'legacy-not-a-number',
      `${key}=${text} is not a number: upstream reads it as 0${zero ? ` (${zero})` : ''}`,
      `write a whole number${unitHint(key)}, or remove the line for the compiled default ${key}=${LEGACY_KEYS[key].default}`,
    );
    return undefined;
  }
  const value = BigInt(digits);
  if (value < INT64_MIN || value > INT64_MAX) {
    report.error('legacy-integer-range', `${key}=${text} does not fit in 64 bits: upstream refuses the whole file and its daemons exit`, `write a whole number${unitHint(key)}`);
    return undefined;
  }
  const number = Number(value);
  if ((match?.[0].length ?? 0) < text.length) {
    report.warn(
      'legacy-integer-text',
      `${key}=${text} is not a whole number: upstream reads it as ${number} (the digits before ${JSON.stringify(text.slice(match?.[0].length))}), and so does the policy`,
      `write ${key}=${number}${unitHint(key)}`,
    );
  }
  return number;
}

function unitHint(key: LegacyKey): string {
  const unit = LEGACY_KEYS[key].unit;
  return unit ? ` (the unit is ${unit})` : '';
}

function readBoolean(key: LegacyKey, text: string, report: Reporter): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  report.error('legacy-not-boolean', `${key}=${text} is not a boolean: upstream refuses the whole file and its daemons exit`, `write ${key}=true or ${key}=false (1 and 0 work too)`);
  return undefined;
}

export function readSettings(entries: ReadonlyMap<LegacyKey, IniEntry>, reportFor: ReportFor): LegacySettings {
  const settings = compiledDefaults();
  const assign = settings as Record<LegacyKey, string | number | boolean>;
  for (const key of LEGACY_KEY_NAMES) {
    const entry = entries.get(key);
    if (!entry) continue;
    const report = reportFor(key);
    const mapping = LEGACY_KEYS[key];
    // A value upstream would refuse keeps the compiled default, so the rest of the file still converts.
    if (mapping.type === 'string') {
      assign[key] = mapping.check ? mapping.check(entry.value, report) : entry.value;
    } else if (mapping.type === 'integer') {
      const value = readInteger(key, entry.value, report);
      if (value !== undefined) assign[key] = mapping.check ? mapping.check(value, report) : value;
    } else {
      const value = readBoolean(key, entry.value, report);
      if (value !== undefined) assign[key] = value;
    }
  }
  return settings;
}
