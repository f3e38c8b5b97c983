import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { openJournalWriter } from '../../engine/journal/journal-writer.js';
import { writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { fromRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { nthEntry, retention } from '../journal/fixtures.js';

interface Bound {
  records: number | null;
  bytes: number | null;
}

interface JsonReport {
  format_version: number;
  policy: { name: string; revision: number };
  redactions: { pattern: string; replace: string; place: string | null }[];
  destinations: {
    name: string;
    receives: { type: string; leavesMachine: boolean; fields: string[] };
    routes: {
      name: string;
      severities: { min: number; max: number } | null;
      never: string | null;
      takenFirstBy: string[];
      except: { pattern: string }[];
      limit: string | null;
      perHour: Bound;
    }[];
    perHour: Bound;
  }[];
  since: { counts: { classification: string; destination: string | null; outcome: string; reason: string | null; count: number }[]; delivered: Record<string, number> } | null;
}

async function reportJson(root: string, args: string[]): Promise<JsonReport> {
  const result = await runCli(['--root', root, 'report', '--format', 'json', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as JsonReport;
}

test('telem report: every shipped policy reports each destination, in text and in JSON with format_version 1', async (t) => {
  const root = await tempDir(t);
  for (const file of [
    'policies/default.policy.yaml',
    'policies/examples/crashes-two-destinations.policy.yaml',
    'policies/examples/local-only.policy.yaml',
    'policies/examples/probes.policy.yaml',
  ]) {
    const text = await runCli(['--root', root, 'report', '--policy', fromRoot(file)]);
    assert.equal(text.code, 0, `${file}: ${text.stderr}`);
    assert.equal(text.stderr, '');
    const json = await reportJson(root, ['--policy', fromRoot(file)]);
    assert.equal(json.format_version, 1);
    assert.ok(json.destinations.length > 0, file);
    for (const destination of json.destinations) assert.match(text.stdout, new RegExp(`\\n${destination.name}: ${destination.receives.type}`), file);
  }
  const local = await reportJson(root, ['--policy', fromRoot('policies/examples/local-only.policy.yaml')]);
  assert.deepEqual(
    local.destinations.map((d) => [d.name, d.receives.leavesMachine, d.receives.fields, d.perHour]),
    [['local', false, [], { records: null, bytes: null }]],
  );
  const localText = await runCli(['--root', root, 'report', '--policy', fromRoot('policies/examples/local-only.policy.yaml')]);
  assert.ok(localText.stdout.includes('\nLeaves this machine: nothing\n'), localText.stdout);
});

test('telem report: the crashes example: fields, redaction, worst-case records and bytes an hour from its limits, deny exceptions and route order', async (t) => {
  const root = await tempDir(t);
  const file = fromRoot('policies/examples/crashes-two-destinations.policy.yaml');
  const json = await reportJson(root, ['--policy', file]);
  assert.deepEqual(
    json.redactions.map((r) => [r.replace, r.place]),
    [['<ipv4>', `${file}:17`]],
  );
  const central = json.destinations.find((d) => d.name === 'central');
  assert.ok(central);
  assert.equal(central.receives.leavesMachine, true);
  assert.equal(central.receives.fields.length, 16, 'the 15 record fields and the payload');
  assert.ok(central.receives.fields.includes('machine_id'));
  // crashes: 100/15m → 400 records; 1MiB/20m → 3MiB (less than 400 × 8KiB). default: 500/1h, 500 × 8KiB.
  assert.deepEqual(
    central.routes.map((r) => [r.name, r.severities, r.perHour]),
    [
      ['crashes', { min: 2, max: 4 }, { records: 400, bytes: 3 * 1024 * 1024 }],
      ['default', { min: 1, max: 4 }, { records: 500, bytes: 500 * 8192 }],
    ],
  );
  assert.deepEqual(central.perHour, { records: 900, bytes: 3 * 1024 * 1024 + 500 * 8192 });
  const rest = central.routes[1];
  assert.deepEqual([rest?.takenFirstBy, rest?.except.map((d) => d.pattern)], [['crashes'], ['*/journal/*']]);
  const archive = json.destinations.find((d) => d.name === 'archive');
  assert.deepEqual([archive?.receives.leavesMachine, archive?.perHour], [false, { records: 400, bytes: 3 * 1024 * 1024 }]);

  const text = await runCli(['--root', root, 'report', '--policy', file]);
  assert.ok(text.stdout.includes(`  ${file}:17: collection.redact[0] "\\\\b\\\\d{1,3}(\\\\.\\\\d{1,3}){3}\\\\b" → "<ipv4>"\n`), text.stdout);
  assert.ok(text.stdout.includes(`      limit: records: 100/15m, bytes: 1MiB/20m, when_exceeded: spool (${file}:39) → at most 400 records and 3MiB of payload an hour\n`), text.stdout);
  assert.ok(text.stdout.includes('central: http https://telemetry.example.org/telem/v1/records — leaves this machine\n'), text.stdout);
  assert.ok(text.stdout.includes('\nLeaves this machine: central (https://telemetry.example.org/telem/v1/records)\n'), text.stdout);
  assert.match(text.stdout, /\n {2}fields: record_format_version, classification, severity, machine_id, .*, event_id, payload \(machine_id rotating\)\n/);
});

const LIMITED = `apiVersion: telem/v1
kind: Policy
metadata: { name: limited, revision: 4 }
consent: { require_opt_in: false }
collection:
  allow: ["org.example/*"]
  deny: ["org.example/secret/*"]
  max_payload: 1KiB
  redact: [{ pattern: "[0-9]{16}", replace: "<card>" }]
destinations:
  central: { type: http, url: "https://central.example/v2/collector", protocol: v2 }
routes:
  - name: secrets
    match: { classification: "org.example/secret/*" }
    to: [central]
  - name: small
    match: { classification: "org.example/*", min_severity: 2 }
    to: [central]
    rate_limit: { records: 10/15m, bytes: 4KiB/1h, when_exceeded: drop }
  - name: never
    match: { classification: "org.example/probe/*", min_severity: 3 }
    to: [central]
`;

test('telem report: bounds from record and byte limits with a small max_payload; routes nothing can take say why', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, LIMITED);
  const json = await reportJson(root, ['--policy', file]);
  const central = json.destinations[0];
  assert.ok(central);
  assert.deepEqual(
    central.routes.map((r) => [r.name, r.never, r.perHour]),
    [
      ['secrets', 'collection.deny "org.example/secret/*" covers its classification', { records: 0, bytes: 0 }],
      // 10/15m → 40 records; 40 × 1KiB is more than the 4KiB byte limit allows.
      ['small', null, { records: 40, bytes: 4096 }],
      ['never', 'route small before it takes every record it would', { records: 0, bytes: 0 }],
    ],
  );
  assert.deepEqual(central.perHour, { records: 40, bytes: 4096 });
  assert.deepEqual(central.routes[1]?.takenFirstBy, [], 'secrets takes nothing (all denied), so nothing goes there first');
  const text = await runCli(['--root', root, 'report', '--policy', file]);
  assert.ok(text.stdout.includes('HTTP POST, v2: the 15 record fields as HTTP headers, the payload as the body'), text.stdout);
  assert.ok(text.stdout.includes(`  route secrets: ${file}:13: routes[0] "org.example/secret/*", severity 1-4\n      never taken: collection.deny`), text.stdout);
  assert.ok(text.stdout.includes('  in all: at most 40 records and 4KiB of payload an hour\n'), text.stdout);
  assert.ok(text.stdout.includes(`  ${file}:9: collection.redact[0] "[0-9]{16}" → "<card>"\n`), text.stdout);
});

test('telem report --since: counts per classification, destination and outcome from the journal, only within the period', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, LIMITED);
  const journal = await openJournalWriter({ root, retention: retention() });
  const now = Date.now();
  const recent = (n: number, overrides: Parameters<typeof nthEntry>[1]) => nthEntry(n, { time: now - n * 60_000, policyRevision: 4, route: 'small', ...overrides });
  journal.append(nthEntry(1, { time: now - 40 * 86_400_000, classification: 'org.example/probe/old' }));
  journal.append(recent(2, { classification: 'org.example/probe/a' }));
  journal.append(recent(3, { classification: 'org.example/probe/a' }));
  journal.append(recent(4, { classification: 'org.example/probe/b', outcome: 'dropped', reason: 'rate_limited' }));
  journal.append(recent(5, { classification: 'org.example/probe/a', outcome: 'dropped', reason: 'rate_limited' }));
  await journal.close();

  const json = await reportJson(root, ['--policy', file, '--since', '30d']);
  assert.deepEqual(
    json.since?.counts.map((c) => [c.destination, c.classification, c.outcome, c.reason, c.count]),
    [
      ['central', 'org.example/probe/a', 'delivered', null, 2],
      ['central', 'org.example/probe/a', 'dropped', 'rate_limited', 1],
      ['central', 'org.example/probe/b', 'dropped', 'rate_limited', 1],
    ],
  );
  assert.deepEqual(json.since?.delivered, { central: 2 });
  const short = await reportJson(root, ['--policy', file, '--since', '150s']);
  assert.deepEqual(
    short.since?.counts.map((c) => [c.classification, c.count]),
    [['org.example/probe/a', 1]],
  );
  const without = await reportJson(root, ['--policy', file]);
  assert.equal(without.since, null);

  const text = await runCli(['--root', root, 'report', '--policy', file, '--since', '30d']);
  assert.match(text.stdout, /\nSince 30d \(from \d{4}-.*Z\), from the journal .*var\/log\/telemetry\/journal:\n {2}central {2}org\.example\/probe\/a {2}delivered {2}2\n/);
});

test('telem report: bad input gets one line and the documented exit status', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, LIMITED);
  const badSince = await runCli(['--root', root, 'report', '--policy', file, '--since', 'a month']);
  assert.equal(badSince.code, 2);
  assert.equal(badSince.stderr, 'telem report: --since must be a duration such as 30d or 12h, not "a month"\n');
  const missing = await runCli(['--root', root, 'report', '--policy', path.join(root, 'missing.yaml')]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, `telem report: ${root}/missing.yaml: cannot read policy file: no such file\n`);
  const invalid = await writePolicy(root, 'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: bad }\nroutes: [{ name: r, to: [nowhere] }]\n', 'bad.yaml');
  const bad = await runCli(['--root', root, 'report', '--policy', invalid]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.yaml:4:.*nowhere/);
});

const PROBES_ROUTED = `apiVersion: telem/v1
kind: Policy
metadata: { name: probes, revision: 3 }
consent: { require_opt_in: false }
collection:
  probes:
    heartbeat: { enabled: true, every: 12h }
destinations:
  central: { type: http, url: "https://central.example/v3/collector" }
  archive: { type: file, path: /var/log/telemetry/archive.ndjson }
routes:
  - { name: beats, match: { classification: "org.clearlinux/heartbeat/*" }, to: [central, archive] }
`;

test('telem report: each enabled probe with its schedule, what it sends and the route and destinations that take it, or why nothing does', async (t) => {
  const root = await tempDir(t);
  const routed = await writePolicy(root, PROBES_ROUTED);
  const text = await runCli(['--root', root, 'report', '--policy', routed]);
  assert.equal(text.code, 0, text.stderr);
  assert.ok(
    text.stdout.includes(
      '\n\nBuilt-in probes enabled (collection.probes):\n' +
        `  heartbeat (${routed}:7): every 12h, after a random delay up to 6h\n` +
        '      org.clearlinux/heartbeat/ping, severity 1 → route beats → central, archive\n\n' +
        'central: http',
    ),
    text.stdout,
  );

  const denied = await writePolicy(
    root,
    PROBES_ROUTED.replace('  probes:\n', '  deny: ["org.clearlinux/heartbeat/*"]\n  probes:\n').replace('{ enabled: true, every: 12h }', '{ enabled: true, random_delay: 0s }'),
    'denied.yaml',
  );
  const deniedText = await runCli(['--root', root, 'report', '--policy', denied]);
  assert.ok(
    deniedText.stdout.includes(
      `  heartbeat (${denied}:8): every 1d\n` + `      org.clearlinux/heartbeat/ping, severity 1 → not collected: denied by ${denied}:6: collection.deny[0] "org.clearlinux/heartbeat/*"\n`,
    ),
    deniedText.stdout,
  );
  const unrouted = await writePolicy(root, PROBES_ROUTED.replace('"org.clearlinux/heartbeat/*"', '"org.clearlinux/crash/*"'), 'unrouted.yaml');
  const unroutedText = await runCli(['--root', root, 'report', '--policy', unrouted]);
  assert.ok(unroutedText.stdout.includes('      org.clearlinux/heartbeat/ping, severity 1 → collected, but no route takes it: dropped (no_route)\n'), unroutedText.stdout);

  const none = await runCli(['--root', root, 'report', '--policy', fromRoot('policies/default.policy.yaml')]);
  assert.ok(none.stdout.includes('\n\nBuilt-in probes: none enabled (collection.probes)\n\n'), none.stdout);
  const json = JSON.parse((await runCli(['--root', root, 'report', '--policy', routed, '--format', 'json'])).stdout) as { probes: unknown };
  assert.deepEqual(json.probes, [
    {
      name: 'heartbeat',
      place: `${routed}:7`,
      schedule: 'every 12h, after a random delay up to 6h',
      summary:
        'a heartbeat every `every` (24h) after a random delay up to `random_delay` (6h), payload as upstream `hprobe -Hlu`: "hello", the locale and the uptime (and the Clear Linux bundles with bundles: true)',
      sends: [
        {
          classification: 'org.clearlinux/heartbeat/ping',
          severity: 1,
          outcomes: [{ severities: { min: 1, max: 1 }, notCollected: null, routes: ['beats'], destinations: ['central', 'archive'] }],
        },
      ],
    },
  ]);
});
