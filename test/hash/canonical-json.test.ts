/** Canonical JSON: key order and whitespace never change the text or the hash; what is not JSON is refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalHash, canonicalJson } from '../../engine/hash/canonical-json.js';
import { policyHash } from '../../engine/agent/applied-policy.js';
import { diffPolicies } from '../../engine/plan/diff.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

test('canonical JSON: sorted keys at every depth, no whitespace, JSON.stringify strings and numbers', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, { d: 'x', c: 1.5 }], '': -0 }), '{"":0,"a":[true,null,{"c":1.5,"d":"x"}],"b":1}');
  assert.equal(canonicalJson('é\n"\u2028'), JSON.stringify('é\n"\u2028'));
  assert.equal(canonicalJson(1e21), '1e+21');
  // UTF-16 code unit order, as RFC 8785: "\u00e9" (0xE9) sorts before "\ud83d…" (0xD83D) and after "z".
  assert.equal(canonicalJson({ '\u{1F600}': 1, z: 2, é: 3 }), '{"z":2,"é":3,"\u{1F600}":1}');
});

test('canonical JSON: the same value formatted or ordered differently hashes the same', () => {
  const a = JSON.parse('{ "name": "x",\n  "routes": [ {"to": ["a","b"], "name": "r"} ],\n  "n": 10 }') as unknown;
  const b = JSON.parse('{"n":10,"routes":[{"name":"r","to":["a","b"]}],"name":"x"}') as unknown;
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.equal(canonicalHash(a), canonicalHash(b));
  assert.notEqual(canonicalHash(a), canonicalHash({ ...(a as object), n: 11 }));
  // Undefined members are left out, as JSON leaves them out, so a value and its JSON round trip agree.
  assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  assert.equal(canonicalJson([undefined]), '[null]');
});

test('canonical JSON: numbers without a JSON form and non-JSON values throw', () => {
  for (const value of [Number.NaN, Infinity, -Infinity, 1n, () => 1, Symbol('s')]) assert.throws(() => canonicalJson(value), TypeError, String(value));
  assert.throws(() => canonicalJson({ nested: [Number.NaN] }), TypeError);
});

test('policyHash: equal for the same policy written with other key order, and different for other settings', () => {
  const base = {
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'p' },
    destinations: { c: { type: 'local' } },
    routes: [{ name: 'r', match: { classification: '*' }, to: ['c'] }],
  };
  const reordered = {
    routes: [{ to: ['c'], match: { classification: '*' }, name: 'r' }],
    destinations: { c: { type: 'local' } },
    metadata: { name: 'p' },
    kind: 'Policy',
    apiVersion: 'telem/v1',
  };
  const one = validatePolicyValue(base, 'a.yaml').policy;
  const two = validatePolicyValue(reordered, 'b.yaml').policy;
  assert.ok(one && two);
  assert.equal(policyHash(one), policyHash(two), 'the source file does not count either');
  assert.equal(policyHash(one), canonicalHash({ ...one, source: undefined }));
  const three = validatePolicyValue({ ...base, metadata: { name: 'p', revision: 1 } }).policy;
  assert.ok(three);
  assert.notEqual(policyHash(one), policyHash(three));
});

test('telem plan: a policy and a copy with its object keys in another order (as a bundle carries it) plan no changes', () => {
  const policy = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'p' },
    destinations: { c: { type: 'local' } },
    routes: [{ name: 'r', match: { classification: '*' }, to: ['c'] }],
  }).policy;
  assert.ok(policy);
  const reordered = JSON.parse(canonicalJson(policy)) as typeof policy;
  assert.deepEqual(diffPolicies(policy, reordered), []);
});
