import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UPSTREAM_TID } from '../../schemas/destinations.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

const written = {
  apiVersion: 'telem/v1',
  kind: 'Policy',
  metadata: { name: 'resolved' },
  spool: { expiry: '20h', max_size: '5MiB' },
  destinations: { central: { type: 'http', url: 'https://c.example/v3/collector' } },
  routes: [{ name: 'crashes', match: { classification: 'org.clearlinux/crash/*' }, to: ['central'], rate_limit: { records: '100/15m' } }],
};

test('resolved policy: durations are milliseconds, sizes bytes, rates limit+window', () => {
  const { policy } = validatePolicyValue(written);
  assert.ok(policy);
  assert.equal(policy.spool.expiry, 72_000_000);
  assert.equal(policy.spool.max_size, 5_242_880);
  assert.deepEqual(policy.routes[0]?.rate_limit?.records, { limit: 100, windowMs: 900_000 });
  assert.equal(policy.consent.machine_id.rotate_every, 259_200_000);
});

test('resolved policy: every default is applied', () => {
  const { policy } = validatePolicyValue(written);
  assert.ok(policy);
  assert.equal(policy.intake.socket, '/run/telem-0');
  assert.equal(policy.intake.max_payload, 8192);
  assert.equal(policy.spool.retry.interval, 120_000);
  assert.equal(policy.retention.journal_entries, 100);
  assert.equal(policy.routes[0]?.match.max_severity, 4);
  const central = policy.destinations.central;
  assert.ok(central?.type === 'http');
  assert.equal(central.tid, UPSTREAM_TID);
  assert.deepEqual(central.success_status, [200, 201]);
  assert.equal(central.timeout, 10_000);
});

test('resolved policy: a refused record is retried, one user may hold 64 connections and a new one has 2s to start talking', () => {
  const { policy } = validatePolicyValue(written);
  assert.ok(policy);
  const central = policy.destinations.central;
  assert.equal(central?.type === 'http' && central.on_reject, 'retry');
  assert.equal(policy.intake.max_connections_per_uid, 64);
  assert.equal(policy.intake.first_byte_timeout, 2_000);
});

test('resolved policy: on_reject "drop" is taken, anything else is a schema error naming both choices', () => {
  const destination = (on_reject: unknown) => ({ ...written, destinations: { central: { type: 'http', url: 'https://c.example/v3/collector', on_reject } } });
  const dropped = validatePolicyValue(destination('drop')).policy?.destinations.central;
  assert.equal(dropped?.type === 'http' && dropped.on_reject, 'drop');
  const { diagnostics } = validatePolicyValue(destination('ignore'));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.path.join('.'), d.message]),
    [['schema-invalid-value', 'destinations.central.on_reject', 'expected "retry" or "drop", got "ignore"']],
  );
});

test('resolved policy: max_connections_per_uid must be a positive whole number', () => {
  const problems = (value: unknown) => validatePolicyValue({ ...written, intake: { max_connections_per_uid: value } }).diagnostics.map((d) => `${d.code} ${d.path.join('.')}: ${d.message}`);
  assert.deepEqual(problems(0), ['schema-out-of-range intake.max_connections_per_uid: must be more than 0, got 0']);
  assert.deepEqual(problems(2.5), ['schema-invalid-type intake.max_connections_per_uid: expected a whole number, got 2.5']);
});

test('resolved policy: entities are keyed by name and the whole object is frozen', () => {
  const { policy } = validatePolicyValue(written);
  assert.ok(policy);
  assert.equal(policy.destinations.central?.name, 'central');
  assert.equal(policy.routeNames.crashes, 0);
  assert.equal(policy.routes[0]?.index, 0);
  assert.ok(Object.isFrozen(policy));
  assert.ok(Object.isFrozen(policy.routes[0]?.match));
  assert.throws(() => {
    (policy.spool as { expiry: number }).expiry = 1;
  }, TypeError);
});

test('resolved policy: "unlimited" spool size resolves to null', () => {
  const { policy } = validatePolicyValue({ ...written, spool: { max_size: 'unlimited' } });
  assert.equal(policy?.spool.max_size, null);
});
