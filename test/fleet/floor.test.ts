/** The local floor: a bundle may narrow consent, never lift it, and may only send where the local policy allows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { formatKeyPath } from '../../engine/diagnostics/diagnostic.js';
import { TelemError } from '../../engine/errors/telem-error.js';
import { checkFloor, enforceFloor, fileWithin, urlWithin } from '../../engine/fleet/floor.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

function policy(options: { consent?: boolean; destinations?: Record<string, unknown>; fleet?: Record<string, unknown> } = {}): ResolvedPolicy {
  const destinations = options.destinations ?? { central: { type: 'http', url: 'https://c.example/v3/collector' } };
  const result = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'p' },
    consent: { require_opt_in: options.consent ?? true },
    ...(options.fleet ? { fleet: options.fleet } : {}),
    destinations,
    routes: [{ name: 'all', match: { classification: '*' }, to: Object.keys(destinations) }],
  });
  assert.ok(result.policy, JSON.stringify(result.diagnostics));
  return result.policy;
}

const errors = (local: ResolvedPolicy, bundle: ResolvedPolicy) =>
  checkFloor(local, bundle)
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${formatKeyPath(d.path)}`);

test('floor: a bundle that lifts opt-in is refused naming consent.require_opt_in; requiring it where the local policy does not is allowed', () => {
  assert.deepEqual(errors(policy({ consent: true }), policy({ consent: false })), ['floor-consent consent.require_opt_in']);
  assert.deepEqual(errors(policy({ consent: false }), policy({ consent: true })), []);
  assert.deepEqual(errors(policy({ consent: false }), policy({ consent: false })), []);
  assert.deepEqual(errors(policy({ consent: true }), policy({ consent: true })), []);
});

test("floor: by default a bundle may send only to the local policy's own destinations (URLs, and the directories of files)", () => {
  const local = policy({ destinations: { central: { type: 'http', url: 'https://c.example/v3/collector' }, archive: { type: 'file', path: '/var/log/telemetry/records.ndjson' } } });
  const same = policy({
    destinations: { renamed: { type: 'http', url: 'https://c.example/v3/collector' }, other: { type: 'file', path: '/var/log/telemetry/other.ndjson' }, keep: { type: 'local' } },
  });
  assert.deepEqual(errors(local, same), []);
  const outside = policy({
    destinations: {
      evil: { type: 'http', url: 'https://c.example.evil/v3/collector' },
      leak: { type: 'file', path: '/tmp/records.ndjson' },
      up: { type: 'file', path: '/var/log/telemetry/../x.ndjson' },
    },
  });
  assert.deepEqual(errors(local, outside), ['floor-destination destinations.evil.url', 'floor-destination destinations.leak.path', 'floor-destination destinations.up.path']);
  const [first] = checkFloor(local, outside);
  assert.match(
    first?.message ?? '',
    /destination "evil" sends to https:\/\/c\.example\.evil\/v3\/collector, outside what the local policy allows \(the local policy's own destinations: https:\/\/c\.example\/v3\/collector, \/var\/log\/telemetry\/\)/,
  );
  // Narrowing: fewer destinations, or only local ones, is always allowed.
  assert.deepEqual(errors(local, policy({ destinations: { keep: { type: 'local' } } })), []);
});

test('floor: fleet.allowed_destinations replaces the default with URL prefixes and directories', () => {
  const local = policy({ fleet: { allowed_destinations: ['https://telemetry.example.org/', '/srv/telemetry'] } });
  assert.deepEqual(
    errors(local, policy({ destinations: { a: { type: 'http', url: 'https://telemetry.example.org/v3/collector' }, b: { type: 'file', path: '/srv/telemetry/x/records.ndjson' } } })),
    [],
  );
  assert.deepEqual(
    errors(local, policy({ destinations: { central: { type: 'http', url: 'https://c.example/v3/collector' }, b: { type: 'file', path: '/srv/telemetry-other/r.ndjson' } } })),
    ['floor-destination destinations.central.url', 'floor-destination destinations.b.path'],
    "the local policy's own destination is not allowed once allowed_destinations is given without it",
  );
  assert.deepEqual(errors(policy({ fleet: { allowed_destinations: [] } }), policy()), ['floor-destination destinations.central.url']);
});

test('floor: URL prefixes match on origin and "/" boundaries, directories on path segments', () => {
  const prefix = new URL('https://c.example/v3');
  assert.ok(urlWithin('https://c.example/v3', prefix));
  assert.ok(urlWithin('https://c.example/v3/collector', prefix));
  assert.ok(!urlWithin('https://c.example/v3-evil', prefix));
  assert.ok(!urlWithin('https://c.example.evil/v3', prefix));
  assert.ok(!urlWithin('http://c.example/v3', prefix), 'another scheme');
  assert.ok(!urlWithin('https://c.example:8443/v3', prefix), 'another port');
  assert.ok(!urlWithin('https://user@c.example/v3', prefix), 'credentials');
  assert.ok(urlWithin('https://C.EXAMPLE:443/v3/x', prefix), 'the same origin spelled otherwise');
  assert.ok(urlWithin('https://c.example/anything', new URL('https://c.example')));
  assert.ok(fileWithin('/srv/t/a.ndjson', '/srv/t'));
  assert.ok(!fileWithin('/srv/tt/a.ndjson', '/srv/t'));
  assert.ok(!fileWithin('/srv/t/../u/a.ndjson', '/srv/t'));
});

test('floor: fleet settings only the local policy sets are kept from it, with a warning when the bundle sets them otherwise', () => {
  const key = `ed25519:${Buffer.alloc(32, 1).toString('base64')}`;
  const other = `ed25519:${Buffer.alloc(32, 2).toString('base64')}`;
  const local = policy({ fleet: { source: '/var/lib/telem/stable.bundle', channel: 'stable', trusted_keys: [key] } });
  const bundle = policy({ fleet: { source: 'https://elsewhere.example/b', channel: 'canary', trusted_keys: [other], poll_interval: '1m' } });
  const warnings = checkFloor(local, bundle)
    .filter((d) => d.severity === 'warning')
    .map((d) => formatKeyPath(d.path));
  assert.deepEqual(warnings, ['fleet.source', 'fleet.channel', 'fleet.trusted_keys', 'fleet.poll_interval']);
  const applied = enforceFloor(local, bundle);
  assert.deepEqual(
    { source: applied.policy.fleet.source, channel: applied.policy.fleet.channel, keys: applied.policy.fleet.trusted_keys, poll: applied.policy.fleet.poll_interval },
    { source: '/var/lib/telem/stable.bundle', channel: 'stable', keys: [key], poll: 3_600_000 },
  );
  assert.equal(applied.warnings.length, 4);
  // A bundle that leaves them at their defaults says nothing about them: no warning.
  assert.deepEqual(checkFloor(local, policy()), []);
});

test('floor: enforceFloor throws bundle-floor with a diagnostic for each crossing', () => {
  try {
    enforceFloor(policy(), policy({ consent: false, destinations: { evil: { type: 'http', url: 'https://evil.example/' } } }));
    assert.fail('expected bundle-floor');
  } catch (error) {
    assert.ok(error instanceof TelemError);
    assert.equal(error.code, 'bundle-floor');
    assert.equal(error.message, "the bundle crosses the local policy's floor at consent.require_opt_in, destinations.evil.url");
    assert.deepEqual(
      error.diagnostics.map((d) => d.code),
      ['floor-consent', 'floor-destination'],
    );
  }
});

test('fleet.trusted_keys: the schema takes exactly the keys verification can use (32 bytes, base64 or base64url)', async () => {
  const { generateKeyPair } = await import('../../engine/fleet/keys.js');
  const key = generateKeyPair().publicKey;
  const urlSafe = `ed25519:${Buffer.from(key.slice(8), 'base64').toString('base64url')}`;
  const valid = (keys: string[]) =>
    validatePolicyValue({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'p' }, fleet: { trusted_keys: keys } })
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => d.code);
  assert.deepEqual(valid([key, urlSafe, key.slice(0, -1)]), []);
  for (const bad of [
    `ed25519:${Buffer.alloc(33).toString('base64')}`,
    `ed25519:${Buffer.alloc(31).toString('base64')}`,
    `${key.slice(0, -2)}B=`,
    'ed25519:',
    key.replace('ed25519', 'rsa'),
  ]) {
    assert.deepEqual(valid([bad]), ['schema-invalid-format'], bad);
  }
});
