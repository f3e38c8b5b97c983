import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasErrors } from '../../engine/diagnostics/diagnostic.js';
import { LEGACY_KEYS, LEGACY_KEY_NAMES } from '../../engine/legacy/keys.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { brief, legacyFixture, translateFixture, translateLines } from './helpers.js';

function parsed(...lines: string[]) {
  const translation = translateLines(...lines);
  const { policy, diagnostics } = validatePolicyValue(translation.value);
  assert.ok(policy, `the translation validates: ${JSON.stringify(diagnostics)}`);
  return { translation, policy };
}

test('upstream traps: each gives its diagnostic at file:line, saying what upstream did and what to write', () => {
  const translation = translateFixture('upstream-traps.conf');
  const file = legacyFixture('upstream-traps.conf');
  assert.deepEqual(
    translation.diagnostics.map(({ file: where, line, column, severity, code, message, hint }) => ({ where: `${where}:${line}:${column}`, severity, code, message, hint })),
    [
      {
        where: `${file}:3:20`,
        severity: 'warning',
        code: 'legacy-clamped',
        message: "spool_process_time=30 is below upstream's minimum: upstream used 120 seconds, and so does the policy",
        hint: 'write spool_process_time=120 to say what happens; in a policy, spool.retry.interval takes any duration',
      },
      {
        where: `${file}:4:22`,
        severity: 'error',
        code: 'legacy-window-out-of-range',
        message: "record_window_length=60 is outside 0..59 minutes: upstream's telempostd exits at the first record it goes to send, whether rate limiting is enabled or not",
        hint: 'write a window of at most 59 minutes, such as record_window_length=59; a policy can use longer windows with algorithm "sliding"',
      },
      {
        where: `${file}:5:15`,
        severity: 'error',
        code: 'legacy-negative-expiry',
        message: 'record_expiry=-1 is negative: upstream deletes every spooled record as expired and its spool loop exits',
        hint: 'write how many minutes a record may wait, such as record_expiry=1200 (20 hours)',
      },
      {
        where: `${file}:6:20`,
        severity: 'error',
        code: 'legacy-not-boolean',
        message: 'rate_limit_enabled=maybe is not a boolean: upstream refuses the whole file and its daemons exit',
        hint: 'write rate_limit_enabled=true or rate_limit_enabled=false (1 and 0 work too)',
      },
      {
        where: `${file}:7:20`,
        severity: 'warning',
        code: 'legacy-integer-text',
        message: 'byte_window_length=15min is not a whole number: upstream reads it as 15 (the digits before "min"), and so does the policy',
        hint: 'write byte_window_length=15 (the unit is minutes)',
      },
    ],
  );
});

test('upstream traps: a value upstream would fail on keeps the compiled default, so the rest still converts', () => {
  const translation = translateFixture('upstream-traps.conf');
  assert.equal(translation.settings.record_window_length, 15);
  assert.equal(translation.settings.record_expiry, 1200);
  assert.equal(translation.settings.rate_limit_enabled, true);
  assert.equal(translation.settings.spool_process_time, 120);
  assert.equal(translation.settings.byte_window_length, 15);
  assert.deepEqual(brief(validatePolicyValue(translation.value).diagnostics), []);
});

test("spool_process_time: above 300 seconds is clamped to 300 with a warning (upstream's own example.conf says 900)", () => {
  const { translation, policy } = parsed('spool_process_time=900');
  assert.deepEqual(brief(translation.diagnostics), ['2 warning legacy-clamped']);
  assert.match(translation.diagnostics[0]?.message ?? '', /spool_process_time=900 is above upstream's maximum: upstream used 300 seconds/);
  assert.equal(policy.spool.retry.interval, 300_000);
});

test('windows: the byte window is checked like the record window, even with rate limiting off', () => {
  const translation = translateLines('rate_limit_enabled=false', 'byte_window_length=-3');
  assert.deepEqual(brief(translation.diagnostics), ['3 error legacy-window-out-of-range']);
});

test('windows: a window of 0 never holds a record back upstream, so that limit is left out with a warning', () => {
  const { translation, policy } = parsed('record_window_length=0', 'record_burst_limit=5');
  assert.deepEqual(brief(translation.diagnostics), ['2 warning legacy-window-zero']);
  assert.equal(policy.routes[0]?.rate_limit, null);
});

test('windows: a window of 0 with a limit of 0 holds back every record, upstream and in the policy', () => {
  const { policy } = parsed('record_window_length=0', 'record_burst_limit=0');
  assert.deepEqual(policy.routes[0]?.rate_limit?.records, { limit: 0, windowMs: 60_000 });
});

test('rate limits: rate_limit_enabled=false or both bursts disabled give no rate limit', () => {
  assert.equal(parsed('rate_limit_enabled=false').policy.routes[0]?.rate_limit, null);
  assert.equal(parsed('record_burst_limit=-1', 'byte_burst_limit=-1').policy.routes[0]?.rate_limit, null);
});

test('rate limits: any negative burst disables that limit, as upstream', () => {
  const { policy } = parsed('record_burst_limit=-7', 'byte_burst_limit=4096', 'byte_window_length=5');
  assert.deepEqual(policy.routes[0]?.rate_limit?.records, null);
  assert.deepEqual(policy.routes[0]?.rate_limit?.bytes, { limit: 4096, windowMs: 300_000 });
});

test('rate_limit_strategy: case does not matter, and anything else is "spool" with a warning', () => {
  assert.equal(parsed('rate_limit_strategy=Drop').policy.routes[0]?.rate_limit?.when_exceeded, 'drop');
  const { translation, policy } = parsed('rate_limit_strategy=discard');
  assert.deepEqual(brief(translation.diagnostics), ['2 warning legacy-strategy-unknown']);
  assert.equal(policy.routes[0]?.rate_limit?.when_exceeded, 'spool');
});

test("integers: text without digits is an error at file:line naming what upstream's 0 would do, and keeps the compiled default", () => {
  const translation = translateLines('record_expiry=abc');
  assert.deepEqual(
    translation.diagnostics.map(({ file, line, column, severity, code, message, hint }) => ({ where: `${file}:${line}:${column}`, severity, code, message, hint })),
    [
      {
        where: 'test.conf:2:15',
        severity: 'error',
        code: 'legacy-not-a-number',
        message: 'record_expiry=abc is not a number: upstream reads it as 0 (every spooled record expires at once)',
        hint: 'write a whole number (the unit is minutes), or remove the line for the compiled default record_expiry=1200',
      },
    ],
  );
  assert.equal(translation.settings.record_expiry, 1200);
});

test('integers: every integer key refuses text without digits, an empty value too', () => {
  const integerKeys = LEGACY_KEY_NAMES.filter((key) => LEGACY_KEYS[key].type === 'integer');
  assert.equal(integerKeys.length, 7);
  for (const key of integerKeys) {
    for (const value of ['lots', '']) {
      const translation = translateLines(`${key}=${value}`);
      assert.deepEqual(brief(translation.diagnostics), ['2 error legacy-not-a-number'], `${key}=${value}`);
      assert.match(translation.diagnostics[0]?.message ?? '', new RegExp(`^${key}=${value} is not a number: upstream reads it as 0 \\(.+\\)$`), key);
      assert.equal(translation.settings[key], LEGACY_KEYS[key].default, key);
    }
  }
});

test('integers: digits followed by text still read as the digits, with a warning', () => {
  const { translation, policy } = parsed('record_expiry=90min');
  assert.deepEqual(brief(translation.diagnostics), ['2 warning legacy-integer-text']);
  assert.equal(policy.spool.expiry, 90 * 60_000);
});

test('integers: a number beyond 64 bits is an error, as upstream rejects it', () => {
  const translation = translateLines('record_expiry=99999999999999999999');
  assert.deepEqual(brief(translation.diagnostics), ['2 error legacy-integer-range']);
});

test('spool_max_size: 0 is an error (the spool would have no room), with the conf\'s own way to say "no quota"', () => {
  const translation = translateLines('spool_max_size=0');
  assert.deepEqual(brief(translation.diagnostics), ['2 error legacy-spool-size-zero']);
  assert.equal(
    translation.diagnostics[0]?.message,
    'spool_max_size=0 leaves the spool no room: upstream drops every record that arrives while delivery is failing, and telem would drop every record',
  );
  assert.equal(translation.diagnostics[0]?.hint, 'use a positive size in KiB, such as spool_max_size=5120, or spool_max_size=-1 for no quota');
});

test('paths: a relative socket_path, spool_dir or cainfo is an error at its line', () => {
  const translation = translateLines('socket_path=run/telem-0', 'spool_dir=spool', 'cainfo=certs/ca.pem');
  assert.deepEqual(brief(translation.diagnostics), ['2 error legacy-relative-path', '3 error legacy-relative-path', '4 error legacy-relative-path']);
  assert.equal(
    translation.diagnostics[1]?.message,
    "spool_dir=spool must be an absolute path: upstream resolves it against its daemon's working directory, and telem would look outside --root",
  );
  assert.equal(translation.diagnostics[1]?.hint, 'start it with "/", such as spool_dir=/var/spool/telemetry');
  assert.equal(translation.settings.spool_dir, '/var/spool/telemetry', 'the compiled default is kept');
});

test('server: a /v2/collector URL is sent protocol v2, with a note saying so at the server line', () => {
  const { translation, policy } = parsed('server=http://backend.example:8090/v2/collector');
  const destination = policy.destinations.collector;
  assert.equal(destination?.type === 'http' && destination.protocol, 'v2');
  assert.deepEqual(translation.diagnostics, []);
  assert.deepEqual(translation.notes, [
    {
      code: 'legacy-protocol-from-url',
      message:
        'server=http://backend.example:8090/v2/collector has a /v2/ path: the policy sends protocol v2 (record fields as HTTP headers), as upstream 2.3 and earlier did and the v2 backend expects',
      file: 'test.conf',
      line: 2,
      column: 8,
    },
  ]);
});

test('server: any /v2/ path segment means v2; /v3/, no version or v2 elsewhere in the URL mean v3', () => {
  const protocolOf = (server: string) => {
    const destination = parsed(`server=${server}`).policy.destinations.collector;
    return destination?.type === 'http' ? destination.protocol : undefined;
  };
  assert.equal(protocolOf('https://h/telemetry/v2/collector/'), 'v2');
  assert.equal(protocolOf('https://h/v2'), 'v2');
  assert.equal(protocolOf('https://h/v3/collector'), 'v3');
  assert.equal(protocolOf('http://127.0.0.1'), 'v3');
  assert.equal(protocolOf('https://v2.example.org/collector?api=/v2/'), 'v3');
  assert.equal(protocolOf('https://h/v20/collector'), 'v3');
});

test('server: the note names v3 for other URLs, and there is none for the compiled default', () => {
  assert.equal(
    translateLines('server=http://127.0.0.1/collector').notes[0]?.message,
    'server=http://127.0.0.1/collector has no /v2/ path: the policy sends protocol v3 (a JSON body), as upstream 2.4 and later do',
  );
  assert.deepEqual(translateLines('spool_dir=/srv/spool').notes, []);
});

test('spool_max_size: any negative size is an unlimited spool', () => {
  assert.equal(parsed('spool_max_size=-1').policy.spool.max_size, null);
  assert.equal(parsed('spool_max_size=-20').policy.spool.max_size, null);
});

test('booleans: true, false, 1 and 0 in any case', () => {
  const { policy } = parsed('daemon_recycling_enabled=FALSE', 'record_retention_enabled=1', 'rate_limit_enabled=0');
  assert.equal(policy.intake.recycle_after, null);
  assert.equal(policy.retention.keep_payloads, 100);
  assert.equal(policy.routes[0]?.rate_limit, null);
});

test('strings: an empty server, socket or spool directory is an error instead of a silent failure', () => {
  const translation = translateLines('server=', 'socket_path=', 'spool_dir=');
  assert.deepEqual(brief(translation.diagnostics), ['2 error legacy-empty-value', '3 error legacy-empty-value', '4 error legacy-empty-value']);
});

test('server: a URL that is not http(s) is an error', () => {
  assert.deepEqual(brief(translateLines('server=ftp://example.org/upload').diagnostics), ['2 error legacy-invalid-url']);
});

test('tidheader: must be a "Name: value" header line', () => {
  assert.deepEqual(brief(translateLines('tidheader=6907c830').diagnostics), ['2 error legacy-invalid-tidheader']);
  const destination = parsed('tidheader=X-Tenant:\\sabc').policy.destinations.collector;
  assert.deepEqual(destination?.type === 'http' && [destination.tid_header, destination.tid], ['X-Tenant', 'abc']);
});

test('cainfo: empty means the system CA store', () => {
  const destination = parsed('cainfo=').policy.destinations.collector;
  assert.equal(destination?.type === 'http' ? destination.ca_file : undefined, null);
});

test('file layout: unknown keys, other sections and a missing [settings] are warnings, not silent', () => {
  const translation = translateLines('sever=http://x', '[Settings]', 'server=http://y');
  assert.deepEqual(brief(translation.diagnostics), ['2 warning conf-unknown-key', '3 warning conf-ignored-section']);
  assert.match(translation.diagnostics[0]?.message ?? '', /unknown key "sever" is ignored, as upstream ignores it \(did you mean "server"\?\)/);
  assert.match(translation.diagnostics[1]?.message ?? '', /section \[Settings\] is ignored: upstream reads only \[settings\] \(did you mean "settings"\?\)/);
  assert.equal(translation.settings.server, 'https://clr.telemetry.intel.com/v3/collector');
});

test('every-key.conf: converts to a valid policy, with the duplicate and the unknown key reported', () => {
  const translation = translateFixture('every-key.conf');
  assert.equal(hasErrors(translation.diagnostics), false);
  assert.deepEqual(brief(translation.diagnostics).sort(), [
    '12 warning conf-duplicate-key',
    '18 warning legacy-byte-count',
    '24 warning conf-unknown-key',
    '9 warning legacy-drop-on-failure',
  ]);
  const duplicate = translation.diagnostics.find((diagnostic) => diagnostic.code === 'conf-duplicate-key');
  assert.equal(duplicate?.message, 'record_expiry is set again on line 23: the last one wins, as upstream, so this one is ignored');
  const { policy, diagnostics } = validatePolicyValue(translation.value);
  assert.deepEqual(brief(diagnostics), []);
  assert.ok(policy);
  assert.equal(policy.spool.expiry, 720 * 60_000, 'the last record_expiry wins');
  assert.equal(policy.spool.dir, '/var/spool/telem test', '"\\s" is a space');
});

test('locate: a policy path points at the conf line of the key it came from', () => {
  const translation = translateFixture('every-key.conf');
  assert.deepEqual(translation.locate(['spool', 'expiry']), { line: 23, column: 15 });
  assert.deepEqual(translation.locate(['routes', 0, 'rate_limit', 'records']), { line: 15, column: 22 });
  assert.deepEqual(translation.locate(['destinations', 'collector', 'protocol'], { key: true }), { line: 5, column: 1 });
  assert.equal(translation.locate(['collection', 'redact']), undefined);
});
