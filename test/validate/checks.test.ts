import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from '../../engine/diagnostics/diagnostic.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

function policy(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'check' },
    destinations: { central: { type: 'http', url: 'https://collector.example/v3/collector' } },
    routes: [{ name: 'default', to: ['central'] }],
    ...extra,
  };
}

function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((diagnostic) => `${diagnostic.severity}:${diagnostic.code}`);
}

test('semantic checks: a well-formed policy has no diagnostics and resolves', () => {
  const result = validatePolicyValue(policy({}));
  assert.deepEqual(result.diagnostics, []);
  assert.ok(result.policy);
});

test('semantic checks: a route naming an unknown destination is an error with a suggestion', () => {
  const { diagnostics, policy: resolved } = validatePolicyValue(policy({ routes: [{ name: 'r', to: ['centrl'] }] }));
  assert.equal(resolved, null);
  assert.deepEqual(codes(diagnostics), ['error:unknown-destination', 'warning:unused-destination']);
  assert.equal(diagnostics[0]?.message, 'route "r" sends to unknown destination "centrl" (did you mean "central"?)');
  assert.deepEqual(diagnostics[0]?.path, ['routes', 0, 'to', 0]);
});

test('semantic checks: an empty `to` is an error', () => {
  const { diagnostics } = validatePolicyValue(policy({ routes: [{ name: 'r', to: [] }] }));
  assert.deepEqual(codes(diagnostics), ['error:empty-route-targets', 'warning:unused-destination']);
});

test('semantic checks: duplicate route names are an error at the second name', () => {
  const { diagnostics } = validatePolicyValue(
    policy({
      routes: [
        { name: 'r', match: { classification: 'a/b/*' }, to: ['central'] },
        { name: 'r', match: { classification: 'c/d/*' }, to: ['central'] },
      ],
    }),
  );
  assert.deepEqual(codes(diagnostics), ['error:duplicate-name']);
  assert.deepEqual(diagnostics[0]?.path, ['routes', 1, 'name']);
});

test('semantic checks: a route shadowed by an earlier catch-all is unreachable (warning)', () => {
  const { diagnostics, policy: resolved } = validatePolicyValue(
    policy({
      routes: [
        { name: 'everything', match: { classification: '*' }, to: ['central'] },
        { name: 'crashes', match: { classification: 'org.clearlinux/crash/*', min_severity: 2 }, to: ['central'] },
      ],
    }),
  );
  assert.deepEqual(codes(diagnostics), ['warning:unreachable-route']);
  assert.equal(diagnostics[0]?.message, 'route "crashes" can never match: route "everything" before it takes every record it would');
  assert.ok(resolved, 'warnings alone do not block the policy');
});

test('semantic checks: narrower severity, continue: true or a narrower pattern keep a later route reachable', () => {
  for (const first of [
    { name: 'high', match: { classification: '*', min_severity: 3 }, to: ['central'] },
    { name: 'tee', match: { classification: '*' }, to: ['central'], continue: true },
    { name: 'kernel', match: { classification: 'org.clearlinux/kernel/*' }, to: ['central'] },
  ]) {
    const { diagnostics } = validatePolicyValue(policy({ routes: [first, { name: 'crashes', match: { classification: 'org.clearlinux/crash/*' }, to: ['central'] }] }));
    assert.deepEqual(codes(diagnostics), [], first.name);
  }
});

test('semantic checks: a zero rate window is an error, one longer than the spool expiry a warning', () => {
  const zero = validatePolicyValue(policy({ routes: [{ name: 'r', to: ['central'], rate_limit: { records: '100/0m' } }] }));
  assert.deepEqual(codes(zero.diagnostics), ['error:rate-window-zero']);
  const long = validatePolicyValue(policy({ spool: { expiry: '1h' }, routes: [{ name: 'r', to: ['central'], rate_limit: { bytes: '1MiB/2h' } }] }));
  assert.deepEqual(codes(long.diagnostics), ['warning:rate-window-exceeds-expiry']);
  assert.equal(long.diagnostics[0]?.message, 'route "r" has a bytes rate window of 2h, longer than the spool expiry of 1h: deferred records can expire before the window frees up');
});

test('semantic checks: minute-slots rate limits need whole minutes under an hour', () => {
  const { diagnostics } = validatePolicyValue(policy({ routes: [{ name: 'r', to: ['central'], rate_limit: { records: '10/60m', algorithm: 'minute-slots' } }] }));
  assert.deepEqual(codes(diagnostics), ['error:rate-window-not-slots']);
});

test('semantic checks: a spool expiry shorter than the retry interval is a warning', () => {
  const { diagnostics } = validatePolicyValue(policy({ spool: { expiry: '1m', retry: { interval: '5m' } } }));
  assert.deepEqual(codes(diagnostics), ['warning:expiry-shorter-than-retry']);
});

test('semantic checks: a spool of 0 bytes is an error, since every record would be dropped', () => {
  for (const max_size of [0, '0B', '0KiB']) {
    const { diagnostics, policy: resolved } = validatePolicyValue(policy({ spool: { max_size } }));
    assert.equal(resolved, null, String(max_size));
    assert.deepEqual(
      diagnostics.map(({ code, severity, message, path, hint }) => ({ code, severity, message, path, hint })),
      [
        {
          code: 'spool-size-zero',
          severity: 'error',
          message: 'spool.max_size 0B leaves the spool no room: every record would be dropped as soon as it arrives',
          path: ['spool', 'max_size'],
          hint: 'use a positive size or "unlimited"',
        },
      ],
    );
  }
  assert.deepEqual(codes(validatePolicyValue(policy({ spool: { max_size: 1 } })).diagnostics), []);
  assert.deepEqual(codes(validatePolicyValue(policy({ spool: { max_size: 'unlimited' } })).diagnostics), []);
});

test('semantic checks: an intake read_timeout or first_byte_timeout over 1 hour is a warning about held slots', () => {
  const { diagnostics, policy: resolved } = validatePolicyValue(policy({ intake: { read_timeout: '2h', first_byte_timeout: '1h1s' } }));
  assert.ok(resolved, 'a warning only');
  assert.deepEqual(codes(diagnostics), ['warning:intake-timeout-long', 'warning:intake-timeout-long']);
  assert.equal(diagnostics[0]?.message, 'intake.read_timeout 2h is over 1 hour: a slow or silent client could hold one of the 256 intake slots that long');
  assert.deepEqual(diagnostics[1]?.path, ['intake', 'first_byte_timeout']);
  assert.deepEqual(codes(validatePolicyValue(policy({ intake: { read_timeout: '1h', first_byte_timeout: '1h' } })).diagnostics), []);
});

test('semantic checks: a per-user intake share that is not below max_connections is a warning that one user can take every slot', () => {
  const { diagnostics, policy: resolved } = validatePolicyValue(policy({ intake: { max_connections: 32, max_connections_per_uid: 32 } }));
  assert.ok(resolved, 'a warning only');
  assert.deepEqual(codes(diagnostics), ['warning:intake-one-user-takes-all']);
  assert.equal(diagnostics[0]?.message, 'intake.max_connections_per_uid 32 is not below max_connections 32: one local user can take every intake slot');
  assert.deepEqual(codes(validatePolicyValue(policy({ intake: { max_connections: 32, max_connections_per_uid: 31 } })).diagnostics), []);
});

test('semantic checks: durations of weeks and years where they make sense are accepted, past 100 years they are an error', () => {
  const long = policy({
    consent: { machine_id: { rotate_every: '52w' } },
    spool: { expiry: '4w', retry: { max_interval: '2w' } },
    fleet: { poll_interval: '1w' },
    collector: { retention: { max_age: '3650d' } },
  });
  assert.deepEqual(codes(validatePolicyValue(long).diagnostics), []);
  const { diagnostics } = validatePolicyValue(policy({ spool: { expiry: '36501d' } }));
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.path.join('.'), d.message]),
    [['schema-invalid-value', 'spool.expiry', 'duration too long: at most 100 years (36500d), got "36501d"']],
  );
});

test('semantic checks: a redaction pattern that does not compile is an error naming the problem', () => {
  const { diagnostics } = validatePolicyValue(policy({ collection: { redact: [{ pattern: '(\\d+' }] } }));
  assert.deepEqual(codes(diagnostics), ['error:invalid-redaction-pattern']);
  assert.match(diagnostics[0]?.message ?? '', /^redaction pattern does not compile: .*Unterminated group/);
  assert.deepEqual(diagnostics[0]?.path, ['collection', 'redact', 0, 'pattern']);
});

test('semantic checks: a v2 destination pointed at a v3 URL is a warning', () => {
  const { diagnostics } = validatePolicyValue(policy({ destinations: { central: { type: 'http', protocol: 'v2', url: 'http://127.0.0.1/v3/collector' } } }));
  assert.deepEqual(codes(diagnostics), ['warning:protocol-url-mismatch']);
});

test('semantic checks: the default v3 at a URL ending in /v2 is a mismatch; v3 at /v3 or at a path without a version is not', () => {
  const at = (url: string) => codes(validatePolicyValue(policy({ destinations: { central: { type: 'http', url } } })).diagnostics);
  assert.deepEqual(at('http://127.0.0.1/v2'), ['warning:protocol-url-mismatch']);
  assert.deepEqual(at('http://127.0.0.1/v3'), []);
  assert.deepEqual(at('http://v2.example.org/collector'), []);
});

test("semantic checks: protocol telem belongs at a telem collector's /telem/v1/records; v3 there, or telem at an upstream path, is a mismatch", () => {
  const at = (protocol: string, url: string) => codes(validatePolicyValue(policy({ destinations: { central: { type: 'http', protocol, url } } })).diagnostics);
  assert.deepEqual(at('telem', 'http://127.0.0.1:8080/telem/v1/records'), []);
  assert.deepEqual(at('telem', 'http://127.0.0.1:8080/telem/v1/records/'), []);
  assert.deepEqual(at('telem', 'http://127.0.0.1:8080/v3/collector'), ['warning:protocol-url-mismatch']);
  assert.deepEqual(at('telem', 'http://127.0.0.1:8080/collector'), ['warning:protocol-url-mismatch']);
  assert.deepEqual(at('v3', 'http://127.0.0.1:8080/telem/v1/records'), ['warning:protocol-url-mismatch']);
  assert.deepEqual(at('v2', 'http://127.0.0.1:8080/telem/v1/records'), ['warning:protocol-url-mismatch']);
});

test('semantic checks: batch settings on a v2 or v3 destination are an error (they send one record per request); on telem they are taken', () => {
  const with_ = (protocol: string, url: string, batch: Record<string, unknown>) =>
    codes(validatePolicyValue(policy({ destinations: { central: { type: 'http', protocol, url, batch } } })).diagnostics);
  assert.deepEqual(with_('v3', 'http://127.0.0.1/v3/collector', { max_records: 10 }), ['error:batch-without-telem']);
  assert.deepEqual(with_('v2', 'http://127.0.0.1/v2/collector', { compression: 'gzip' }), ['error:batch-without-telem']);
  assert.deepEqual(with_('v3', 'http://127.0.0.1/v3/collector', {}), []);
  assert.deepEqual(with_('telem', 'http://127.0.0.1/telem/v1/records', { max_records: 10, max_bytes: '64KiB', linger: '5ms', compression: 'gzip' }), []);
  assert.deepEqual(with_('telem', 'http://127.0.0.1/telem/v1/records', { max_records: 1001 }), ['error:schema-out-of-range']);
  const tiny = validatePolicyValue(policy({ destinations: { central: { type: 'http', protocol: 'telem', url: 'http://127.0.0.1/telem/v1/records', batch: { max_bytes: '100B' } } } }));
  assert.deepEqual(codes(tiny.diagnostics), ['error:schema-invalid-value']);
  assert.match(tiny.diagnostics[0]?.message ?? '', /at least 1KiB/);
});

test('semantic checks: a fleet source without trusted keys is an error; fleet.stages is gone (rollouts travel in the bundle)', () => {
  const { diagnostics } = validatePolicyValue(policy({ fleet: { source: 'https://policies.example/' } }));
  assert.deepEqual(codes(diagnostics), ['error:fleet-untrusted-source']);
  const stages = validatePolicyValue(policy({ fleet: { stages: [{ name: 'a', percent: 50 }] } }));
  assert.deepEqual(codes(stages.diagnostics), ['error:schema-unknown-key']);
});

test('semantic checks: no routes at all is a warning that records will be dropped', () => {
  const { diagnostics } = validatePolicyValue(policy({ destinations: {}, routes: [] }));
  assert.deepEqual(codes(diagnostics), ['warning:no-routes']);
});

test('schema checks: unknown keys, wrong types and missing keys are errors with key paths', () => {
  const { diagnostics } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'x' },
    spool: { max_size: true, expiry: 1200 },
    destinatons: {},
    destinations: { a: { type: 'http' } },
    routes: [{ name: 'r', to: ['a'] }],
  });
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.path.join('.'), d.message]).sort(),
    [
      ['schema-invalid-value', 'spool.max_size', 'expected a size such as "5MiB", a number of bytes, or "unlimited"'],
      ['schema-invalid-type', 'spool.expiry', 'expected a duration with a unit, such as "15m", "20h" or "1h30m"'],
      ['schema-unknown-key', 'destinatons', 'unknown key "destinatons" (did you mean "destinations"?)'],
      ['schema-missing-key', 'destinations.a.url', 'missing required key "url"'],
    ].sort(),
  );
});

test('schema checks: a document that is not a mapping is rejected plainly', () => {
  for (const value of [null, 'text', [1, 2]]) {
    assert.equal(validatePolicyValue(value).diagnostics[0]?.code, 'not-a-policy');
  }
});

test('schema checks: semantic problems are still reported alongside schema errors', () => {
  const { diagnostics } = validatePolicyValue(policy({ spool: { max_size: 'lots' }, routes: [{ name: 'r', to: ['central', 'archive'] }] }));
  assert.deepEqual(codes(diagnostics), ['error:schema-invalid-value', 'error:unknown-destination']);
});

test('schema checks: a broken destination does not also show up as unknown', () => {
  const { diagnostics } = validatePolicyValue(policy({ destinations: { central: { type: 'ftp' } } }));
  assert.deepEqual(codes(diagnostics), ['error:schema-invalid-value']);
});

test('semantic checks: collector deadlines the HTTP server cannot honour, a body memory below max_body and listen_api on the listen address are errors', () => {
  const { diagnostics, policy: resolved } = validatePolicyValue(
    policy({
      collector: { listen: '127.0.0.1:8080', listen_api: '127.0.0.1:8080', max_body: '2MiB', max_body_memory: '1MiB', timeouts: { headers: '40s', request: '30s', keep_alive: '0s' } },
    }),
  );
  assert.equal(resolved, null);
  assert.deepEqual(codes(diagnostics), [
    'error:collector-timeout-zero',
    'error:collector-headers-timeout-over-request',
    'error:collector-body-memory-below-max-body',
    'error:collector-listen-api-same',
  ]);
  assert.deepEqual(
    diagnostics.map((diagnostic) => diagnostic.message),
    [
      'collector.timeouts.keep_alive is 0: a client could hold a connection for ever',
      'collector.timeouts.headers 40s is longer than timeouts.request 30s, which includes the head',
      'collector.max_body_memory 1MiB is below max_body 2MiB: a body of the allowed size could never be received',
      'collector.listen_api is the same address as listen (127.0.0.1:8080); give the API its own address, or leave it null to serve everything on listen',
    ],
  );
  assert.deepEqual(codes(validatePolicyValue(policy({ collector: { listen: '127.0.0.1:0', listen_api: '127.0.0.1:0' } })).diagnostics), [], 'port 0 is two free ports');
});

test('semantic checks: the unreachable-route check names the first earlier route that covers a later one, by patterns with a shorter literal prefix and wildcards, and never one whose literal prefix is longer', () => {
  const route = (name: string, classification: string, extra: Record<string, unknown> = {}) => ({ name, match: { classification }, to: ['central'], ...extra });
  const cases: [Record<string, unknown>[], string | null][] = [
    [[route('org', 'org.a/*'), route('deep', 'org.a/b/c')], 'org'],
    [[route('any-p', 'org.a/p?/*'), route('p1', 'org.a/p1/x')], 'any-p'],
    [[route('star-mid', 'org.*/b/*'), route('abc', 'org.abc/b/c')], 'star-mid'],
    // A longer literal prefix cannot cover: "org.ab/*" does not take "org.a?/x" (it could be "org.ac/x").
    [[route('longer', 'org.ab/*'), route('wild', 'org.a?/x')], null],
    [[route('longer', 'org.ab*/*'), route('wild', 'org.a*/x')], null],
    // The first covering route is named, though a later one (with a longer prefix) covers too.
    [[route('p-only', 'org.a/p1/*'), route('everything', '*'), route('late', 'org.a/p1/z')], 'p-only'],
    [[route('tee', 'org.a/*', { continue: true }), route('all', 'org.*/*'), route('late', 'org.a/b/c')], 'all'],
  ];
  for (const [routes, shadow] of cases) {
    const { diagnostics } = validatePolicyValue(policy({ routes }));
    const unreachable = diagnostics.filter((diagnostic) => diagnostic.code === 'unreachable-route');
    const last = routes.at(-1) as { name: string };
    if (shadow === null) assert.deepEqual(unreachable, [], JSON.stringify(routes));
    else assert.equal(unreachable.at(-1)?.message, `route "${last.name}" can never match: route "${shadow}" before it takes every record it would`, JSON.stringify(routes));
  }
});
