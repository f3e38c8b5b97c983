/** diffPolicies: which actions a change of policy makes, and which of them lose records or let more leave. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { PlanAction } from '../../engine/plan/action.js';
import { diffPolicies } from '../../engine/plan/diff.js';
import { formatPlanText } from '../../engine/plan/format-text.js';
import { probeActions } from '../../engine/plan/probes.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

const BASE = {
  apiVersion: 'telem/v1',
  kind: 'Policy',
  metadata: { name: 'base' },
  collection: { allow: ['org.example/*'], deny: ['org.example/secret/*'] },
  destinations: { central: { type: 'http', url: 'https://central.example/v3/collector' }, archive: { type: 'file', path: '/var/lib/telem/archive.ndjson' } },
  routes: [
    { name: 'crashes', match: { classification: 'org.example/crash/*' }, to: ['central', 'archive'], rate_limit: { records: '100/15m', when_exceeded: 'spool' } },
    { name: 'rest', to: ['central'] },
  ],
};

type Doc = typeof BASE & Record<string, unknown>;

function resolve(edit: (doc: Doc) => void = () => undefined): ResolvedPolicy {
  const doc = structuredClone(BASE) as Doc;
  edit(doc);
  const { policy, diagnostics } = validatePolicyValue(parse(JSON.stringify(doc)));
  assert.ok(policy, JSON.stringify(diagnostics));
  return policy;
}

const brief = (actions: readonly PlanAction[]) => actions.map((a) => `${a.kind} ${a.entity} ${a.name} ${a.impact}`);

test('plan diff: identical policies, and a policy that only changes its name and revision, make no actions', () => {
  assert.deepEqual(diffPolicies(resolve(), resolve()), []);
  assert.deepEqual(
    diffPolicies(
      resolve(),
      resolve((doc) => (doc.metadata = { name: 'renamed', revision: 7 } as typeof doc.metadata)),
    ),
    [],
  );
});

test('plan diff: a route that now drops over its limit is a data-loss change naming the setting', () => {
  const actions = diffPolicies(
    resolve(),
    resolve((doc) => ((doc.routes[0] as { rate_limit: { when_exceeded: string } }).rate_limit.when_exceeded = 'drop')),
  );
  assert.deepEqual(brief(actions), ['change route crashes data-loss']);
  assert.deepEqual(actions[0]?.changes, [{ path: 'rate_limit.when_exceeded', before: 'spool', after: 'drop' }]);
  assert.match(actions[0]?.reason ?? '', /now dropped instead of waiting in the spool/);
});

test('plan diff: a lower limit is neutral while records wait in the spool', () => {
  const actions = diffPolicies(
    resolve(),
    resolve((doc) => ((doc.routes[0] as { rate_limit: { records: string } }).rate_limit.records = '10/15m')),
  );
  assert.deepEqual(brief(actions), ['change route crashes neutral']);
  assert.deepEqual(actions[0]?.changes, [{ path: 'rate_limit.records', before: { limit: 100, windowMs: 900_000 }, after: { limit: 10, windowMs: 900_000 } }]);
});

test('plan diff: a narrower allow, a wider deny and a higher min_severity lose records; the reverse lets more leave', () => {
  const narrower = resolve(
    (doc) => (doc.collection = { allow: ['org.example/crash/*'], deny: ['org.example/secret/*', 'org.example/crash/private'], min_severity: 2 } as typeof doc.collection),
  );
  const loss = diffPolicies(resolve(), narrower);
  assert.deepEqual(brief(loss), ['change collection collection data-loss']);
  assert.match(loss[0]?.reason ?? '', /"org\.example\/\*" are no longer allowed.*"org\.example\/crash\/private" are now denied.*severity 1–1 are now rejected/);
  const wider = diffPolicies(narrower, resolve());
  assert.deepEqual(brief(wider), ['change collection collection privacy']);
});

test('plan diff: a removed redaction and opt-in no longer required let more leave the machine', () => {
  const redacted = resolve((doc) => ((doc.collection as Record<string, unknown>).redact = [{ pattern: '\\d+\\.\\d+\\.\\d+\\.\\d+', replace: '<ipv4>' }]));
  assert.deepEqual(brief(diffPolicies(redacted, resolve())), ['change collection collection privacy']);
  assert.deepEqual(brief(diffPolicies(resolve(), redacted)), ['change collection collection neutral']);
  assert.deepEqual(
    brief(
      diffPolicies(
        resolve(),
        resolve((doc) => (doc.consent = { require_opt_in: false })),
      ),
    ),
    ['change consent consent privacy'],
  );
});

test('plan diff: a new destination a route sends to lets records leave; a removed one strands what it has waiting', () => {
  const added = resolve((doc) => {
    (doc.destinations as Record<string, unknown>).backup = { type: 'http', url: 'https://backup.example/v3/collector' };
    doc.routes[1]?.to.push('backup');
  });
  assert.deepEqual(brief(diffPolicies(resolve(), added)), ['add destination backup privacy', 'change route rest privacy']);
  const removed = diffPolicies(added, resolve(), { waiting: { backup: 12 } });
  assert.deepEqual(brief(removed), ['remove destination backup data-loss', 'change route rest data-loss']);
  assert.match(removed[0]?.reason ?? '', /its 12 waiting records are never delivered/);
  assert.ok(removed[0]?.changes.some((change) => change.path === 'url' && change.before === 'https://backup.example/v3/collector'));
});

test('plan diff: a smaller spool and a shorter expiry lose records while a destination is down', () => {
  const actions = diffPolicies(
    resolve(),
    resolve((doc) => (doc.spool = { max_size: '1MiB', expiry: '1h' })),
  );
  assert.deepEqual(brief(actions), ['change spool spool data-loss']);
  assert.deepEqual(actions[0]?.changes.map((change) => change.path).sort(), ['expiry', 'max_size']);
});

test('plan diff: a reorder that changes which route takes a classification is a change of both routes', () => {
  const reordered = resolve((doc) => doc.routes.reverse());
  const actions = diffPolicies(resolve(), reordered);
  assert.deepEqual(brief(actions), ['change route crashes data-loss', 'change route rest privacy']);
  assert.deepEqual(actions[0]?.changes, [{ path: 'order', before: 0, after: 1 }]);
  assert.match(actions[0]?.reason ?? '', /org\.example\/crash\/x \(severity 1\) is now taken by rest instead of crashes/);
});

test('plan diff: a reorder of routes that never take the same records is no change', () => {
  const disjoint = (doc: Doc) => {
    (doc.routes[1] as Record<string, unknown>).match = { classification: 'org.example/boot/*' };
  };
  assert.deepEqual(
    diffPolicies(
      resolve(disjoint),
      resolve((doc) => {
        disjoint(doc);
        doc.routes.reverse();
      }),
    ),
    [],
  );
});

test('plan diff: a wider route match lets more records take it; removing a route drops what only it took', () => {
  const wider = diffPolicies(
    resolve(),
    resolve((doc) => ((doc.routes[0] as Record<string, unknown>).match = { classification: 'org.example/*' })),
  );
  assert.deepEqual(brief(wider), ['change route crashes privacy']);
  const removed = diffPolicies(
    resolve(),
    resolve((doc) => doc.routes.shift()),
  );
  assert.deepEqual(brief(removed), ['remove route crashes data-loss']);
});

const withProbes = (probes: Record<string, unknown>) => resolve((doc) => ((doc.collection as Record<string, unknown>).probes = probes));

test('plan diff: a probe turned on is an added probe that lets more leave, one turned off a removed probe that loses records; neither is a collection change', () => {
  const on = diffPolicies(resolve(), withProbes({ heartbeat: { enabled: true, every: '12h' } }));
  assert.deepEqual(brief(on), ['add probe heartbeat privacy']);
  assert.equal(on[0]?.reason, 'turned on: records of "org.clearlinux/heartbeat/ping" are newly made, and leave where collection and routes take them');
  assert.deepEqual(
    on[0]?.changes.map((change) => [change.path, change.after]),
    [
      ['every', 43_200_000],
      ['random_delay', 21_600_000],
      ['classification', 'org.clearlinux/heartbeat/ping'],
      ['severity', 1],
      ['locale', true],
      ['uptime', true],
      ['bundles', false],
    ],
  );
  const off = diffPolicies(withProbes({ heartbeat: { enabled: true } }), resolve());
  assert.deepEqual(brief(off), ['remove probe heartbeat data-loss']);
  assert.equal(off[0]?.reason, 'turned off: records of "org.clearlinux/heartbeat/ping" are no longer made');
  // A probe a build does not have is planned all the same, without its classifications (here: a registry without any).
  const bert = probeActions(resolve().collection.probes, withProbes({ bert: { enabled: true } }).collection.probes, {});
  assert.deepEqual(brief(bert), ['add probe bert privacy']);
  assert.equal(bert[0]?.reason, 'turned on: its records are newly made, and leave where collection and routes take them');
});

test('plan diff: privacy-relevant settings of a running probe say what they do; settings of a probe that stays off change nothing yet', () => {
  const change = (before: Record<string, unknown>, after: Record<string, unknown>) => diffPolicies(withProbes(before), withProbes(after));
  const crashes = change({ crashes: { enabled: true } }, { crashes: { enabled: true, full_reports: { paths: ['/usr/', '/opt/'], except: [] } } });
  assert.deepEqual(brief(crashes), ['change probe crashes privacy']);
  assert.equal(crashes[0]?.reason, 'crashes of programs under "/opt/", "/usr/local/" are newly sent with their backtrace');
  assert.deepEqual(brief(change({ crashes: { enabled: true, full_reports: { paths: ['/usr/', '/opt/'], except: [] } } }, { crashes: { enabled: true } })), ['change probe crashes neutral']);
  const modules = change({ kernel: { enabled: true, modules: false } }, { kernel: { enabled: true } });
  assert.deepEqual([brief(modules), modules[0]?.reason], [['change probe kernel privacy'], 'kernel oops records newly carry the list of loaded modules']);
  const journal = change({ journal: { enabled: true, units: ['sshd.service'], exclude_identifiers: ['sudo'] } }, { journal: { enabled: true, max_priority: 4 } });
  assert.deepEqual(brief(journal), ['change probe journal privacy']);
  assert.equal(
    journal[0]?.reason,
    'entries of priority 4–4 are newly sent; entries of every unit are now sent, not only of "sshd.service"; entries of identifiers "sudo" are no longer excluded',
  );
  const narrower = change({ journal: { enabled: true, max_priority: 4 } }, { journal: { enabled: true, units: ['sshd.service'] } });
  assert.deepEqual(brief(narrower), ['change probe journal data-loss']);
  assert.equal(narrower[0]?.reason, 'entries of priority 4–4 are no longer sent; only entries of units "sshd.service" are sent now');
  const pstore = change({ pstore: { enabled: true } }, { pstore: { enabled: true, remove_after_report: true } });
  assert.deepEqual(
    [brief(pstore), pstore[0]?.reason],
    [['change probe pstore data-loss'], 'pstore entries are deleted once their record is spooled: a record the spool then drops cannot be read from pstore again'],
  );
  // Turned on with it: the same consequence, with the probe's own.
  assert.deepEqual(brief(diffPolicies(resolve(), withProbes({ pstore: { enabled: true, remove_after_report: true } }))), ['add probe pstore data-loss']);
  assert.deepEqual(brief(change({ heartbeat: { enabled: true } }, { heartbeat: { enabled: true, every: '1h' } })), ['change probe heartbeat neutral']);
  const off = change({ journal: { enabled: false } }, { journal: { enabled: false, max_priority: 7 } });
  assert.deepEqual([brief(off), off[0]?.reason], [['change probe journal neutral'], 'the probe is off: its settings take effect when it is turned on']);
});

test('plan text: a probe turned on is a + block with its settings as a policy writes them, and a PRIVACY warning with what its settings do', () => {
  const text = formatPlanText(
    diffPolicies(resolve(), withProbes({ heartbeat: { enabled: true, every: '12h', uptime: false } })),
    { label: 'a.yaml', name: 'base', revision: 0 },
    { label: 'b.yaml', name: 'base', revision: 0 },
  );
  assert.equal(
    text,
    'Plan: a.yaml (base revision 0) → b.yaml (base revision 0)\n\n' +
      '  + probe "heartbeat"\n' +
      '      + every: 12h\n' +
      '      + random_delay: 6h\n' +
      '      + classification: "org.clearlinux/heartbeat/ping"\n' +
      '      + severity: 1\n' +
      '      + locale: true\n' +
      '      + uptime: false\n' +
      '      + bundles: false\n\n' +
      'Warning: PRIVACY: probe "heartbeat": turned on: records of "org.clearlinux/heartbeat/ping" are newly made, and leave where collection and routes take them; heartbeats no longer carry the uptime\n\n' +
      'Plan: 1 to add, 0 to change, 0 to remove.\n',
  );
});
