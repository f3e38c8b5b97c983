/** Bundles: build and verify, every failure verifyBundle names, and that no byte of a bundle can change unnoticed. */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { TelemError } from '../../engine/errors/telem-error.js';
import { BUNDLE_FORMAT, buildBundle, parseBundle, unverifiedPolicy, verifyBundle, type VerifyOptions } from '../../engine/fleet/bundle.js';
import { parseRolloutFile, resolveRollout } from '../../engine/fleet/rollout.js';
import { canonicalJson } from '../../engine/hash/canonical-json.js';
import { generateKeyPair } from '../../engine/fleet/keys.js';
import { policyHash } from '../../engine/hash/policy-hash.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

const owner = generateKeyPair();
const stranger = generateKeyPair();
const NOW = new Date('2026-12-01T12:00:00.000Z');

function policy(revision = 3, extra: Record<string, unknown> = {}): ResolvedPolicy {
  const result = validatePolicyValue(
    {
      apiVersion: 'telem/v1',
      kind: 'Policy',
      metadata: { name: 'fleet-x', revision },
      destinations: { central: { type: 'http', url: 'https://c.example/v3/collector' } },
      routes: [{ name: 'default', match: { classification: '*' }, to: ['central'] }],
      ...extra,
    },
    'fleet.yaml',
  );
  assert.ok(result.policy, JSON.stringify(result.diagnostics));
  return result.policy;
}

function build(options: Partial<Parameters<typeof buildBundle>[0]> = {}): Buffer {
  return buildBundle({
    policy: policy(),
    sources: new Map([['fleet.yaml', Buffer.from('metadata: { name: fleet-x, revision: 3 }\n')]]),
    keys: [createPrivateKey(owner.privatePem)],
    channel: 'stable',
    sequence: 7,
    expiresMs: 30 * 86_400_000,
    now: NOW,
    ...options,
  });
}

const trusting = (options: Partial<VerifyOptions> = {}): VerifyOptions => ({ trustedKeys: [owner.publicKey], now: NOW, ...options });

function failure(run: () => unknown): TelemError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof TelemError, String(error));
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return error;
  }
  assert.fail('expected a TelemError');
}

/** The container re-serialized canonically after `change`: still canonical, so only the signature or a hash can catch it. */
function edit(bytes: Buffer, change: (container: { files: Record<string, string>; manifest: Record<string, unknown>; signatures: { key: string; signature: string }[] }) => void): Buffer {
  const container = JSON.parse(bytes.toString('utf8')) as Parameters<typeof change>[0];
  change(container);
  return Buffer.from(`${canonicalJson(container)}\n`);
}

test('bundle: a built bundle verifies, carrying the resolved policy, its source and the manifest', () => {
  const verified = verifyBundle(build(), trusting({ channel: 'stable', appliedSequence: 6 }));
  assert.equal(verified.manifest.format, BUNDLE_FORMAT);
  assert.deepEqual(
    {
      channel: verified.manifest.channel,
      sequence: verified.manifest.sequence,
      policy: verified.manifest.policy,
      created: verified.manifest.created,
      not_after: verified.manifest.not_after,
    },
    { channel: 'stable', sequence: 7, policy: { name: 'fleet-x', revision: 3, sha256: policyHash(policy()) }, created: '2026-12-01T12:00:00.000Z', not_after: '2026-12-31T12:00:00.000Z' },
  );
  assert.match(verified.manifest.min_agent_version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(Object.keys(verified.manifest.files).sort(), ['policy.json', 'source/fleet.yaml']);
  assert.equal(policyHash(verified.policy), policyHash(policy()));
  assert.equal(verified.policy.source, null);
  assert.ok(Object.isFrozen(verified.policy.destinations));
  assert.equal(verified.files.get('source/fleet.yaml')?.toString(), 'metadata: { name: fleet-x, revision: 3 }\n');
  assert.deepEqual(verified.signedBy, [owner.publicKey]);
  assert.equal(verified.manifest.plan, null);
  assert.equal(verified.manifest.rollout, null);
});

test('bundle: the same inputs build the same bytes (canonical JSON throughout)', () => {
  assert.deepEqual(build(), build());
});

test('bundle: changing any single byte of the file is refused with one line', () => {
  const bytes = build();
  const codes = new Set<string>();
  for (let index = 0; index < bytes.length; index += 1) {
    for (const flip of [0x01, 0x20]) {
      const changed = Buffer.from(bytes);
      changed[index] = (changed[index] as number) ^ flip;
      const error = failure(() => verifyBundle(changed, trusting()));
      codes.add(error.code);
    }
  }
  // Where the byte is decides which check catches it; every one is a bundle refusal.
  assert.deepEqual(
    [...codes].filter((code) => !code.startsWith('bundle-')),
    [],
  );
  for (const code of ['bundle-format', 'bundle-tampered', 'bundle-signature']) assert.ok(codes.has(code), `${code} among ${[...codes].join(', ')}`);
});

test('bundle: reformatting (whitespace the JSON parser ignores) is refused as tampering', () => {
  const bytes = build();
  const pretty = Buffer.from(JSON.stringify(JSON.parse(bytes.toString('utf8')), null, 2));
  assert.equal(failure(() => verifyBundle(pretty, trusting())).code, 'bundle-tampered');
  const spaced = Buffer.from(bytes.toString('utf8').replace('{"files"', '{ "files"'));
  assert.equal(failure(() => verifyBundle(spaced, trusting())).code, 'bundle-tampered');
});

test('bundle: a changed file (with a valid base64 encoding) is refused naming the file', () => {
  const changed = edit(build(), (container) => {
    const source = Buffer.from(container.files['source/fleet.yaml'] as string, 'base64')
      .toString()
      .replace('3', '4');
    container.files['source/fleet.yaml'] = Buffer.from(source).toString('base64');
  });
  const error = failure(() => verifyBundle(changed, trusting()));
  assert.equal(error.code, 'bundle-tampered');
  assert.match(error.message, /^file source\/fleet\.yaml was modified: its sha256 does not match the manifest$/);
  const added = edit(build(), (container) => (container.files['extra.txt'] = Buffer.from('x').toString('base64')));
  assert.match(failure(() => verifyBundle(added, trusting())).message, /file extra\.txt is in the bundle but not in the manifest/);
});

test('bundle: a changed manifest is a bad signature', () => {
  const changed = edit(build(), (container) => (container.manifest.sequence = 8));
  const error = failure(() => verifyBundle(changed, trusting()));
  assert.equal(error.code, 'bundle-signature');
  assert.match(error.message, /^bad signature: the signature by ed25519:\S+ does not match the manifest/);
});

test('bundle: signed by a key that is not trusted, or not signed at all, is an unknown key', () => {
  const error = failure(() => verifyBundle(build(), trusting({ trustedKeys: [stranger.publicKey] })));
  assert.equal(error.code, 'bundle-unknown-key');
  assert.match(error.message, /signed only by keys that are not trusted/);
  const unsigned = edit(build(), (container) => (container.signatures = []));
  assert.match(failure(() => verifyBundle(unsigned, trusting())).message, /^the bundle has no signatures$/);
  // A signature by a stranger swapped in for the owner's: the owner's key is trusted, the stranger's is not.
  const swapped = edit(build({ keys: [createPrivateKey(stranger.privatePem)] }), () => undefined);
  assert.equal(failure(() => verifyBundle(swapped, trusting())).code, 'bundle-unknown-key');
  assert.equal(failure(() => verifyBundle(build(), trusting({ trustedKeys: ['ed25519:short'] }))).code, 'key-invalid');
  assert.equal(failure(() => verifyBundle(build(), trusting({ trustedKeys: [] }))).code, 'bundle-unknown-key');
});

test('bundle: a stranger cannot re-sign a changed manifest with the owner key named', () => {
  const forged = edit(build({ keys: [createPrivateKey(stranger.privatePem)] }), (container) => {
    for (const signature of container.signatures) signature.key = owner.publicKey;
  });
  assert.equal(failure(() => verifyBundle(forged, trusting())).code, 'bundle-signature');
});

test('bundle: several signatures; any trusted one verifies, in either base64 spelling of the key', () => {
  const both = build({ keys: [createPrivateKey(owner.privatePem), createPrivateKey(stranger.privatePem)] });
  assert.deepEqual(verifyBundle(both, trusting()).signedBy, [owner.publicKey]);
  assert.deepEqual(verifyBundle(both, trusting({ trustedKeys: [stranger.publicKey] })).signedBy, [stranger.publicKey]);
  const urlSafe = `ed25519:${Buffer.from(owner.publicKey.slice(8), 'base64').toString('base64url')}`;
  assert.deepEqual(verifyBundle(build(), trusting({ trustedKeys: [urlSafe] })).signedBy, [owner.publicKey]);
});

test('bundle: expired, another channel, a sequence not above the applied one, a newer agent needed', () => {
  const bytes = build();
  const expired = failure(() => verifyBundle(bytes, trusting({ now: new Date('2026-12-31T12:00:00.000Z') })));
  assert.equal(expired.code, 'bundle-expired');
  assert.match(expired.message, /^the bundle expired at 2026-12-31T12:00:00\.000Z/);
  verifyBundle(bytes, trusting({ now: new Date('2026-12-31T11:59:59.999Z') }));
  const channel = failure(() => verifyBundle(bytes, trusting({ channel: 'canary' })));
  assert.equal(channel.code, 'bundle-channel');
  assert.equal(channel.message, 'the bundle is for channel "stable", not "canary"');
  for (const applied of [7, 8]) {
    const sequence = failure(() => verifyBundle(bytes, trusting({ appliedSequence: applied })));
    assert.equal(sequence.code, 'bundle-sequence');
    assert.equal(sequence.message, `the bundle's sequence 7 is not above the applied sequence ${applied}`);
  }
  verifyBundle(bytes, trusting({ appliedSequence: 6 }));
  const version = failure(() => verifyBundle(build({ agentVersion: '2.0.0' }), trusting({ agentVersion: '1.9.9' })));
  assert.equal(version.code, 'bundle-agent-version');
  verifyBundle(build({ agentVersion: '2.0.0' }), trusting({ agentVersion: '2.0.1' }));
});

test('bundle: an unknown format and a file that is not a bundle are bundle-format', () => {
  const future = edit(build(), (container) => (container.manifest.format = 'telem-bundle/2'));
  const error = failure(() => verifyBundle(future, trusting()));
  assert.equal(error.code, 'bundle-format');
  assert.equal(error.message, 'unknown bundle format "telem-bundle/2" (this telem reads telem-bundle/1)');
  assert.equal(failure(() => verifyBundle(Buffer.from('apiVersion: telem/v1\n'), trusting())).code, 'bundle-format');
  assert.match(failure(() => verifyBundle(Buffer.from('{"manifest":{}}'), trusting())).message, /no manifest\.format/);
  const extra = edit(build(), (container) => (container.manifest.extra = 1));
  assert.match(failure(() => verifyBundle(extra, trusting())).message, /^malformed telem-bundle\/1 bundle: manifest/);
  const escaping = edit(build(), (container) => (container.files['../etc/passwd'] = ''));
  assert.equal(failure(() => verifyBundle(escaping, trusting())).code, 'bundle-tampered');
});

test('bundle: --previous puts the plan summary in the manifest, --rollout the resolved steps; a sequence not above the previous is refused', () => {
  const first = build();
  const parsed = parseBundle(first);
  const next = policy(4, { consent: { require_opt_in: false } });
  const file = parseRolloutFile({ id: 'r1', start: '2026-12-03T10:00:00Z', steps: [{ percent: 10, bake: '2h' }, { percent: 100 }], gates: { max_restarts: 0 } });
  assert.ok(typeof file !== 'string');
  const rollout = resolveRollout(file, new Date('2026-12-01T00:00:00Z'));
  const second = verifyBundle(build({ policy: next, sequence: 8, previous: { manifest: parsed.manifest, policy: unverifiedPolicy(parsed) }, rollout }), trusting());
  assert.deepEqual(second.manifest.plan?.previous, { channel: 'stable', sequence: 7, policy: { name: 'fleet-x', revision: 3 } });
  assert.deepEqual(second.manifest.plan?.summary, { add: 0, change: 1, remove: 0 });
  assert.deepEqual(
    second.manifest.plan?.actions.map(({ entity, impact }) => ({ entity, impact })),
    [{ entity: 'consent', impact: 'privacy' }],
  );
  assert.deepEqual(second.manifest.rollout, {
    id: 'r1',
    start: '2026-12-03T10:00:00.000Z',
    deadline: null,
    steps: [
      { percent: 10, bake: 7_200_000, max_failure_rate: 0.05, begins: '2026-12-03T10:00:00.000Z' },
      { percent: 100, bake: 3_600_000, max_failure_rate: 0.05, begins: '2026-12-03T12:00:00.000Z' },
    ],
    gates: { max_delivery_failure_ratio: 0.2, max_drops: { '*': 0 }, max_spool_growth: 16 * 1024 * 1024, max_restarts: 0, compare_factor: 2 },
  });
  assert.throws(() => build({ sequence: 7, previous: { manifest: parsed.manifest, policy: unverifiedPolicy(parsed) } }), /sequence 7 is not above the previous bundle's 7/);
  assert.match(parseRolloutFile({ id: 'x', steps: [{ percent: 200 }] }) as string, /^steps\.0\.percent: /);
  assert.match(parseRolloutFile({ id: 'x', steps: [{ percent: 50 }, { percent: 10 }] }) as string, /^steps\.1\.percent: step 1 covers 10%, not more than step 0 before it \(50%\)$/);
  assert.match(parseRolloutFile({ steps: [{ percent: 5 }] }) as string, /^id: /);
});

test('bundle: a signed policy.json that is not a resolved policy this telem knows is refused before anything reads it', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...policy(), newer_section: {} }, /newer_section is a setting this telem does not know$/],
    [{ ...policy(), consent: { ...policy().consent, require_opt_in: 'no' } }, /consent\.require_opt_in is not a boolean$/],
    [{ ...policy(), spool: undefined }, /spool is missing$/],
    [{ ...policy(), destinations: { x: { type: 'ftp', url: 'ftp://x' } } }, /destinations\.x is not an http destination/],
  ];
  for (const [value, message] of cases) {
    const error = failure(() => verifyBundle(build({ policy: value as unknown as ResolvedPolicy }), trusting()));
    assert.equal(error.code, 'bundle-format');
    assert.match(error.message, /^policy\.json is not a policy this telem can apply: /);
    assert.match(error.message, message);
  }
});
