/** Upstream's own configuration tests (reference §F.4, check_config.c) against the translation. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compiledDefaults } from '../../engine/legacy/keys.js';
import { policyToConf } from '../../engine/legacy/to-conf.js';
import { translateCompiledDefaults, translateConf } from '../../engine/legacy/translate.js';
import { loadPolicySource } from '../../engine/load/load-policy.js';
import { validatePolicySource, validatePolicyValue } from '../../engine/validate/validate.js';
import { DEFAULT_BATCH } from '../../schemas/destinations.js';
import { fromRoot } from '../helpers/paths.js';
import { brief, translateFixture } from './helpers.js';

const EXAMPLE_SETTINGS = {
  server: 'http://127.0.0.1',
  socket_path: '/tmp/test_telem_socket',
  spool_dir: '/tmp/spool',
  rate_limit_strategy: 'spool',
  cainfo: '/tmp/cacert.crt',
  tidheader: 'X-Telemetry-TID: 6907c830-eed9-4ce9-81ae-76daf8d88f0f',
  record_expiry: 1200,
  spool_max_size: 1024,
  spool_process_time: 180,
  record_burst_limit: 100,
  record_window_length: 15,
  byte_burst_limit: 1000,
  byte_window_length: 20,
  rate_limit_enabled: true,
  daemon_recycling_enabled: true,
  record_retention_enabled: false,
  record_server_delivery_enabled: true,
};

test("example.conf: reads the values upstream's check_config_initialised expects", () => {
  assert.deepEqual(translateFixture('example.conf').settings, EXAMPLE_SETTINGS);
});

test('example.conf: becomes a valid policy with an http destination, minute-slot limits and the spool values', () => {
  const translation = translateFixture('example.conf');
  const { policy, diagnostics } = validatePolicyValue(translation.value);
  assert.deepEqual(brief(diagnostics), []);
  assert.ok(policy);
  assert.deepEqual(policy.destinations.collector, {
    name: 'collector',
    type: 'http',
    protocol: 'v3',
    url: 'http://127.0.0.1',
    tid: '6907c830-eed9-4ce9-81ae-76daf8d88f0f',
    tid_header: 'X-Telemetry-TID',
    headers: {},
    ca_file: '/tmp/cacert.crt',
    timeout: 10_000,
    connect_timeout: 5_000,
    success_status: [200, 201],
    on_reject: 'retry',
    concurrency: 16,
    // The defaults; v3 sends one record per request and never reads them.
    batch: DEFAULT_BATCH,
  });
  assert.deepEqual(policy.routes[0]?.rate_limit, {
    records: { limit: 100, windowMs: 15 * 60_000 },
    bytes: { limit: 1000, windowMs: 20 * 60_000 },
    when_exceeded: 'spool',
    algorithm: 'minute-slots',
  });
  assert.equal(policy.intake.socket, '/tmp/test_telem_socket');
  assert.equal(policy.intake.recycle_after, 5 * 60_000);
  assert.equal(policy.spool.dir, '/tmp/spool');
  assert.equal(policy.spool.max_size, 1024 * 1024);
  assert.equal(policy.spool.expiry, 1200 * 60_000);
  assert.equal(policy.spool.retry.interval, 180_000);
  assert.equal(policy.retention.keep_payloads, 0);
});

test('example.conf: the byte limit is converted to real bytes with a warning that upstream counted 4 per record', () => {
  const [warning] = translateFixture('example.conf').diagnostics;
  assert.equal(warning?.code, 'legacy-byte-count');
  assert.equal(warning?.line, 30);
  assert.equal(warning?.message, 'byte_burst_limit=1000 counted 4 bytes per record upstream (at most 250 records per 20 minutes); the policy counts real payload bytes (1000B/20m)');
});

test('example.1.conf: retention on and server delivery off give a local destination and kept payloads', () => {
  const translation = translateFixture('example.1.conf');
  assert.equal(translation.settings.record_retention_enabled, true);
  assert.equal(translation.settings.record_server_delivery_enabled, false);
  const { policy } = validatePolicyValue(translation.value);
  assert.ok(policy);
  assert.deepEqual(policy.destinations, { local: { name: 'local', type: 'local' } });
  assert.deepEqual(policy.routes[0]?.to, ['local']);
  assert.equal(policy.routes[0]?.rate_limit, null, 'upstream applies no rate limit to records it keeps locally');
  assert.equal(policy.retention.keep_payloads, 100);
});

test('example.1.conf: keys that have no effect without server delivery are named at their lines', () => {
  const unused = translateFixture('example.1.conf').diagnostics.filter((diagnostic) => diagnostic.code === 'legacy-key-unused');
  assert.deepEqual(
    unused.map((diagnostic) => `${diagnostic.line} ${diagnostic.message.split(':')[0]}`).sort((a, b) => parseInt(a) - parseInt(b)),
    [
      '4 server has no effect',
      '6 cainfo has no effect',
      '8 tidheader has no effect',
      '24 record_burst_limit has no effect',
      '30 byte_burst_limit has no effect',
      '36 rate_limit_enabled has no effect',
      '39 rate_limit_strategy has no effect',
    ],
  );
});

test("example.2.conf: keys the file leaves out take the compiled defaults, not another file's values", () => {
  const translation = translateFixture('example.2.conf');
  assert.deepEqual(translation.settings, { ...compiledDefaults(), server: 'http://127.0.0.1', cainfo: '/tmp/cacert.crt' });
  assert.deepEqual(translation.diagnostics, []);
});

test('compiled defaults: converting them gives the settings of policies/default.policy.yaml', async () => {
  const converted = validatePolicyValue(translateCompiledDefaults().value).policy;
  const loaded = await loadPolicySource({ file: fromRoot('policies', 'default.policy.yaml') });
  assert.ok(loaded.source);
  const shipped = validatePolicySource(loaded.source).policy;
  assert.ok(converted && shipped);
  assert.deepEqual(converted.intake, shipped.intake);
  assert.deepEqual(converted.spool, shipped.spool);
  assert.deepEqual(converted.retention, shipped.retention);
  assert.deepEqual(
    converted.routes.map(({ match, rate_limit }) => ({ match, rate_limit })),
    shipped.routes.map(({ match, rate_limit }) => ({ match, rate_limit })),
  );
  const { name: _converted, ...convertedDestination } = converted.destinations.collector ?? {};
  const { name: _shipped, ...shippedDestination } = shipped.destinations.collector ?? {};
  assert.deepEqual(convertedDestination, shippedDestination);
});

test('policies/telemetrics.conf: the shipped sample is the default policy written as telemetrics.conf, and reads back as the compiled defaults', async () => {
  const sample = fromRoot('policies', 'telemetrics.conf');
  const loaded = await loadPolicySource({ file: fromRoot('policies', 'default.policy.yaml') });
  assert.ok(loaded.source);
  const shipped = validatePolicySource(loaded.source).policy;
  assert.ok(shipped);
  const conf = policyToConf(shipped, { source: 'policies/default.policy.yaml' });
  assert.deepEqual(conf.diagnostics, [], 'the default policy is fully expressible');
  assert.equal(readFileSync(sample, 'utf8'), conf.text, 'regenerate with: telem convert --to-conf policies/default.policy.yaml -o policies/telemetrics.conf');
  const translation = translateConf({ file: sample, text: conf.text });
  assert.deepEqual(translation.settings, compiledDefaults());
  assert.deepEqual(translation.diagnostics, []);
});
