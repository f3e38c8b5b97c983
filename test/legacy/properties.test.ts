/** Property tests: whatever a telemetrics.conf holds, translation answers with diagnostics, never an exception. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { hasErrors } from '../../engine/diagnostics/diagnostic.js';
import { policyToSettings } from '../../engine/legacy/from-policy.js';
import { compiledDefaults, LEGACY_KEY_NAMES, type LegacySettings } from '../../engine/legacy/keys.js';
import { settingsToPolicy } from '../../engine/legacy/to-policy.js';
import { translateConf } from '../../engine/legacy/translate.js';
import { formatConf } from '../../engine/legacy/write-conf.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

const RUNS = { seed: 20_261_122, numRuns: 200 };

/** Values that hit the interesting cases of every key type, plus arbitrary text. */
const value = fc.oneof(
  fc.integer({ min: -100, max: 400 }).map(String),
  fc.constantFrom('true', 'false', 'TRUE', '1', '0', 'maybe', '', '15min', '-1', '99999999999999999999', '  7', '\\s12'),
  fc.constantFrom('spool', 'drop', 'http://127.0.0.1', 'https://h/v3/collector', 'X-Telemetry-TID:\\sabc', '/tmp/x', 'C:\\dir'),
  fc.string({ maxLength: 20 }),
);

const line = fc.oneof(
  fc.tuple(fc.constantFrom(...LEGACY_KEY_NAMES, 'colour', 'Server', ''), fc.constantFrom('=', ' = ', '\t=\t'), value).map(([key, equals, text]) => `${key}${equals}${text}`),
  fc.constantFrom('[settings]', '[Settings]', '[other]', '[settings', '# comment', '; comment', '', 'no equals sign', '=orphan', '\r'),
  fc.string({ maxLength: 30 }),
);

const confText = fc.array(line, { maxLength: 25 }).map((lines) => lines.join('\n'));

test('property: any text translates without throwing, and every diagnostic points at a line of the file', () => {
  fc.assert(
    fc.property(fc.oneof(confText, fc.string({ maxLength: 200, unit: 'binary' })), (text) => {
      const translation = translateConf({ file: 'random.conf', text });
      const lines = text.split('\n').length;
      for (const diagnostic of translation.diagnostics) {
        assert.equal(diagnostic.file, 'random.conf');
        if (diagnostic.line !== undefined) assert.ok(diagnostic.line >= 1 && diagnostic.line <= lines, `line ${diagnostic.line} of ${lines}`);
      }
    }),
    RUNS,
  );
});

/** A conf that upstream reads: a `[settings]` section of key lines, each value taken from the interesting cases of every key type. */
const settingsConfText = fc
  .array(
    fc.tuple(fc.constantFrom(...LEGACY_KEY_NAMES), fc.constantFrom('=', ' = '), value).map(([key, equals, text]) => `${key}${equals}${text}`),
    { minLength: 1, maxLength: 6 },
  )
  .map((lines) => ['[settings]', ...lines].join('\n'));

const defaults = compiledDefaults();

test('property: a translation without errors is always a valid policy, and the property sees non-default settings', () => {
  let validated = 0;
  let nonDefault = 0;
  fc.assert(
    fc.property(settingsConfText, (text) => {
      const translation = translateConf({ file: 'random.conf', text });
      fc.pre(!hasErrors(translation.diagnostics));
      validated += 1;
      if (LEGACY_KEY_NAMES.some((key) => translation.settings[key] !== defaults[key])) nonDefault += 1;
      const { diagnostics } = validatePolicyValue(translation.value);
      assert.deepEqual(
        diagnostics.filter((diagnostic) => diagnostic.severity === 'error'),
        [],
      );
    }),
    RUNS,
  );
  // fc.pre discards the cases with errors; the runs that count must still be mostly settings other than upstream's defaults.
  assert.ok(validated >= RUNS.numRuns, `validated ${validated} translations`);
  assert.ok(nonDefault >= RUNS.numRuns / 2, `${nonDefault} of ${validated} validated translations had a non-default setting`);
});

const pathText = fc.stringMatching(/^\/[A-Za-z0-9_. /-]{1,30}$/).filter((text) => !text.endsWith(' '));

/** Settings a policy can carry exactly: delivery on, rate limiting on with at least the record limit. */
const canonicalSettings: fc.Arbitrary<LegacySettings> = fc
  .record({
    server: fc.webUrl({ validSchemes: ['http', 'https'] }).filter((url) => !/[\\\s]/.test(url)),
    socket_path: pathText,
    spool_dir: pathText,
    rate_limit_strategy: fc.constantFrom('spool', 'drop'),
    cainfo: fc.oneof(fc.constant(''), pathText),
    tidheader: fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), fc.stringMatching(/^[a-z0-9-]{1,36}$/)).map(([name, tid]) => `${name}: ${tid}`),
    record_expiry: fc.integer({ min: 0, max: 1_000_000 }),
    // 0 is refused: a spool with no room would drop every record.
    spool_max_size: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 10_000_000 })),
    spool_process_time: fc.integer({ min: 120, max: 300 }),
    record_burst_limit: fc.integer({ min: 0, max: 1_000_000 }),
    record_window_length: fc.integer({ min: 1, max: 59 }),
    byte_burst_limit: fc.integer({ min: -1, max: 100_000_000 }),
    byte_window_length: fc.integer({ min: 1, max: 59 }),
    rate_limit_enabled: fc.constant(true),
    daemon_recycling_enabled: fc.boolean(),
    record_retention_enabled: fc.boolean(),
    record_server_delivery_enabled: fc.constant(true),
    // A disabled byte limit carries no window in a policy, so the canonical one is the default.
  })
  .map((settings) => ({ ...settings, byte_window_length: settings.byte_burst_limit < 0 ? 20 : settings.byte_window_length }));

test('property: settings written as telemetrics.conf read back as the same settings', () => {
  fc.assert(
    fc.property(canonicalSettings, (settings) => {
      const conf = formatConf(settings, { header: ['generated'] });
      assert.deepEqual(conf.diagnostics, []);
      const again = translateConf({ file: 'written.conf', text: conf.text });
      assert.deepEqual(again.settings, settings);
    }),
    RUNS,
  );
});

test('property: settings → policy → settings is the identity for what a policy carries exactly', () => {
  fc.assert(
    fc.property(canonicalSettings, (settings) => {
      const { policy, diagnostics } = validatePolicyValue(settingsToPolicy(settings));
      assert.ok(policy, JSON.stringify(diagnostics));
      assert.deepEqual(policyToSettings(policy).settings, settings);
    }),
    RUNS,
  );
});
