import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePolicy } from '../../engine/define-policy.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

test('definePolicy: returns the policy unchanged, and it validates', () => {
  const policy = definePolicy({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'typed' },
    destinations: { archive: { type: 'file', path: '/var/log/telemetry/records.ndjson' } },
    routes: [{ name: 'all', to: ['archive'] }],
  });
  assert.equal(policy.metadata.name, 'typed');
  assert.deepEqual(validatePolicyValue(policy).diagnostics, []);
});

test('definePolicy: the type checker rejects mistakes (checked when the suite compiles)', () => {
  const wrongType = () =>
    definePolicy({
      apiVersion: 'telem/v1',
      kind: 'Policy',
      metadata: { name: 'typed' },
      // @ts-expect-error expiry is a duration string such as "20h", not a number
      spool: { expiry: 1200 },
    });
  const unknownKey = () =>
    definePolicy({
      apiVersion: 'telem/v1',
      kind: 'Policy',
      metadata: { name: 'typed' },
      // @ts-expect-error "destinatons" is not a policy key
      destinatons: {},
    });
  const badProtocol = () =>
    definePolicy({
      apiVersion: 'telem/v1',
      kind: 'Policy',
      metadata: { name: 'typed' },
      // @ts-expect-error protocol is "v2" or "v3"
      destinations: { c: { type: 'http', url: 'https://x.example/', protocol: 'v4' } },
    });
  assert.equal(typeof wrongType, 'function');
  assert.equal(typeof unknownKey, 'function');
  assert.equal(typeof badProtocol, 'function');
});
