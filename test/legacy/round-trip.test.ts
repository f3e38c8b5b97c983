import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatKeyPath } from '../../engine/diagnostics/diagnostic.js';
import { policyToConf } from '../../engine/legacy/to-conf.js';
import { translateConf } from '../../engine/legacy/translate.js';
import { loadPolicySource } from '../../engine/load/load-policy.js';
import { validatePolicySource, validatePolicyValue } from '../../engine/validate/validate.js';
import { brief, legacyFixture, translateFixture } from './helpers.js';

function confToPolicyToConf(name: string) {
  const original = translateFixture(name);
  const { policy } = validatePolicyValue(original.value);
  assert.ok(policy);
  const conf = policyToConf(policy, { source: 'converted.policy.yaml' });
  const again = translateConf({ file: 'again.conf', text: conf.text });
  return { original, conf, again };
}

test('round trip: every-key.conf → policy → telemetrics.conf gives the same settings, with nothing lost', () => {
  const { original, conf, again } = confToPolicyToConf('every-key.conf');
  assert.deepEqual(again.settings, original.settings);
  assert.deepEqual(brief(conf.diagnostics), ['- warning conf-byte-count']);
  assert.deepEqual(
    again.diagnostics.map((diagnostic) => diagnostic.code),
    ['legacy-drop-on-failure', 'legacy-byte-count'],
  );
});

test("round trip: upstream's example.conf comes back with the same settings", () => {
  const { original, again } = confToPolicyToConf('example.conf');
  assert.deepEqual(again.settings, original.settings);
});

test('round trip: example.1.conf keeps what upstream uses without server delivery', () => {
  const { original, conf, again } = confToPolicyToConf('example.1.conf');
  assert.deepEqual(brief(conf.diagnostics), []);
  assert.ok(!/^server=/m.test(conf.text), 'no server line for a local-only policy');
  for (const key of [
    'socket_path',
    'spool_dir',
    'record_expiry',
    'spool_max_size',
    'spool_process_time',
    'daemon_recycling_enabled',
    'record_retention_enabled',
    'record_server_delivery_enabled',
  ] as const) {
    assert.equal(again.settings[key], original.settings[key], key);
  }
});

test('to-conf: the written file spells spaces as "\\s" and sets every key under [settings]', () => {
  const { conf } = confToPolicyToConf('every-key.conf');
  assert.match(conf.text, /^tidheader=X-Telemetry-TID:\\s0b7d33e5-3c5e-4c46-9d45-2f16c9a1c7e2$/m);
  assert.match(conf.text, /^spool_dir=\/var\/spool\/telem\\stest$/m);
  assert.equal(conf.text.match(/^[a-z_]+=/gm)?.length, 17);
  assert.match(conf.text, /^\[settings\]$/m);
});

async function severalDestinations() {
  const loaded = await loadPolicySource({ file: legacyFixture('several-destinations.policy.yaml') });
  assert.ok(loaded.source);
  const { policy } = validatePolicySource(loaded.source);
  assert.ok(policy);
  return policy;
}

test('to-conf: several destinations, per-route limits, a sliding window and redaction are each listed by name', async () => {
  const conf = policyToConf(await severalDestinations(), { source: 'several-destinations.policy.yaml' });
  assert.deepEqual(
    conf.diagnostics.map((diagnostic) => `${diagnostic.severity} ${diagnostic.code} ${formatKeyPath(diagnostic.path)}`),
    [
      'error conf-drops-redaction collection.redact',
      'warning conf-not-expressible destinations.archive',
      'warning conf-not-expressible routes[0].rate_limit.algorithm',
      'warning conf-not-expressible routes[1]',
    ],
  );
  assert.deepEqual(
    conf.diagnostics.map((diagnostic) => diagnostic.message),
    [
      'collection.redact cannot be expressed in telemetrics.conf and is left out: the converted file would send payloads unredacted',
      'destinations.archive cannot be expressed in telemetrics.conf and is left out',
      'routes[0].rate_limit.algorithm "sliding" cannot be expressed in telemetrics.conf: the converted file gives "minute-slots"',
      'routes[1] (route "crashes") cannot be expressed in telemetrics.conf and is left out',
    ],
  );
  assert.equal(conf.diagnostics[0]?.hint, 'change the policy so a telemetrics.conf can say it, or pass --force to write the file anyway');
  assert.match(conf.text, /^# Not expressible in this file \(telem convert listed each\):\n# {3}collection\.redact\n/m);
  assert.match(conf.text, /^server=https:\/\/telemetry\.example\.org\/v3\/collector$/m);
  assert.match(conf.text, /^record_expiry=600$/m);
  assert.match(conf.text, /^record_burst_limit=100$/m);
});

test('to-conf: forced, losing redaction is a warning that says the file was written anyway', async () => {
  const conf = policyToConf(await severalDestinations(), { force: true });
  assert.deepEqual(brief(conf.diagnostics).slice(0, 1), ['- warning conf-drops-redaction']);
  assert.equal(
    conf.diagnostics[0]?.message,
    'collection.redact cannot be expressed in telemetrics.conf and is left out: the converted file would send payloads unredacted (written anyway: --force)',
  );
  assert.equal(conf.diagnostics[0]?.hint, undefined);
});

function policyWith(extra: Record<string, unknown>) {
  const { policy, diagnostics } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'filters' },
    destinations: { c: { type: 'http', url: 'https://h/v3/collector' } },
    routes: [{ name: 'all', to: ['c'] }],
    ...extra,
  });
  assert.ok(policy, JSON.stringify(diagnostics));
  return policy;
}

test("to-conf: losing what keeps records back (deny, allow, min_severity, the first route's match) is an error, each with its consequence", () => {
  const conf = policyToConf(
    policyWith({
      collection: { allow: ['org.clearlinux/*/*'], deny: ['*/journal/*'], min_severity: 2 },
      routes: [{ name: 'crashes', match: { classification: 'org.clearlinux/crash/*' }, to: ['c'] }],
    }),
  );
  assert.deepEqual(
    conf.diagnostics.map((diagnostic) => `${diagnostic.severity} ${diagnostic.code} ${formatKeyPath(diagnostic.path)}: ${diagnostic.message.split(': ').at(-1)}`),
    [
      'error conf-drops-allow collection.allow: the converted file would send records the policy does not allow',
      'error conf-drops-deny collection.deny: the converted file would send the records the policy denies',
      "error conf-drops-min-severity collection.min_severity: the converted file would send records below the policy's min_severity",
      'error conf-widens-route routes[0].match.classification: the converted file would send every record, not only those this route matches',
    ],
  );
});

test('to-conf: a v2 destination at a /v2/collector URL round-trips to v2 with nothing lost', () => {
  const conf = policyToConf(policyWith({ destinations: { c: { type: 'http', protocol: 'v2', url: 'http://backend.example/v2/collector' } } }));
  assert.deepEqual(conf.diagnostics, []);
  assert.match(conf.text, /^server=http:\/\/backend\.example\/v2\/collector$/m);
  const again = validatePolicyValue(translateConf({ file: 'back.conf', text: conf.text }).value).policy?.destinations.collector;
  assert.equal(again?.type === 'http' && again.protocol, 'v2');
});

test('to-conf: a protocol the server URL does not name is an error, since the conf would speak the other one', () => {
  const conf = policyToConf(policyWith({ destinations: { c: { type: 'http', protocol: 'v2', url: 'http://backend.example/collector' } } }));
  assert.deepEqual(brief(conf.diagnostics), ['- error conf-protocol-not-expressible']);
  assert.equal(
    conf.diagnostics[0]?.message,
    'destinations.c.protocol "v2" cannot be expressed in telemetrics.conf: the converted file gives "v3": ' +
      "telemetrics.conf takes the protocol from the server URL's path (/v2/ or not), and a server refuses every record sent in the other protocol",
  );
});

test('to-conf: values the file cannot hold exactly are rounded up or clamped, and each one is named', () => {
  const { policy } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'odd' },
    spool: { max_size: 1000, expiry: '90s', retry: { interval: '10m' } },
    destinations: { c: { type: 'http', url: 'https://h/v3/collector' } },
    routes: [{ name: 'all', to: ['c'], rate_limit: { records: '5/2h' } }],
  });
  assert.ok(policy);
  const conf = policyToConf(policy);
  assert.match(conf.text, /^spool_max_size=1$/m);
  assert.match(conf.text, /^record_expiry=2$/m);
  assert.match(conf.text, /^spool_process_time=300$/m);
  assert.match(conf.text, /^rate_limit_enabled=false$/m);
  assert.deepEqual(
    conf.diagnostics.map((diagnostic) => diagnostic.message),
    [
      'spool.max_size 1000B cannot be expressed in telemetrics.conf: the converted file gives 1KiB',
      'spool.expiry 1m30s cannot be expressed in telemetrics.conf: the converted file gives 2m',
      'spool.retry.interval 10m cannot be expressed in telemetrics.conf: the converted file gives 5m',
      'routes[0].rate_limit cannot be expressed in telemetrics.conf and is left out',
    ],
  );
});

test('to-conf: a value the dialect cannot hold is an error, not a wrong file', () => {
  const { policy } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'backslash' },
    spool: { dir: '/srv/back\\slash' },
    destinations: { c: { type: 'local' } },
    routes: [{ name: 'all', to: ['c'] }],
  });
  assert.ok(policy);
  const conf = policyToConf(policy);
  assert.deepEqual(brief(conf.diagnostics), ['- error conf-value-not-expressible']);
  assert.deepEqual(conf.diagnostics[0]?.path, ['spool', 'dir']);
  assert.ok(!conf.text.includes('spool_dir='));
});
