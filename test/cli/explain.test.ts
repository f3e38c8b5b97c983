import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { readJournal } from '../../engine/journal/read-journal.js';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { sendRaw } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { fromRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

// Line numbers matter: the tests expect rules at the lines they are written on.
const POLICY = `apiVersion: telem/v1
kind: Policy
metadata: { name: explained, revision: 7 }
consent: { require_opt_in: false }
collection:
  allow: ["org.example/*"]
  deny: ["org.example/secret/*"]
  redact:
    - { pattern: "token=[a-z0-9]+", replace: "token=<redacted>" }
destinations:
  central: { type: local }
  archive: { type: file, path: /var/log/archive.ndjson }
routes:
  - name: crashes
    match: { classification: "org.example/crash/*", min_severity: 3 }
    to: [central, archive]
  - name: limited
    match: { classification: "org.example/*" }
    to: [central]
    rate_limit: { records: 2/1h, when_exceeded: drop }
`;

interface JsonExplanation {
  format_version: number;
  kind: string;
  verdict: { outcome: string; reason: string | null };
  routes: { name: string; verdict: string | null; stoppedBy: string | null; severities: number[] }[];
  outcomes: { outcome: string; reason: string; route: string; destination: string; policyRevision: number; limit: string | null; limitPlace: string | null }[];
  otherRevisions: number[];
  notes: string[];
}

test('telem explain --class: an allowed record names the allow rule, the redaction, each route in order and why, the limiter and the destinations', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, POLICY);
  const result = await runCli(['--root', root, 'explain', '--policy', file, '--class', 'org.example/crash/kernel', '--severity', '4', '--payload', 'token=abc123 rest']);
  assert.equal(result.stderr, '');
  assert.equal(result.code, 0);
  const out = result.stdout;
  assert.match(out, /^Record \(hypothetical\): org\.example\/crash\/kernel, severity 4, 17 payload bytes\n/);
  assert.match(out, /\nPolicy: explained revision 7 \(/);
  assert.match(out, /\nVerdict: spooled for route crashes → central, archive\n/);
  assert.ok(out.includes(`  allow matches: ${file}:6: collection.allow[0] "org.example/*"\n`), out);
  assert.ok(out.includes(`  ${file}:9: collection.redact[0] "token=[a-z0-9]+" → "token=<redacted>": 1 match\n`), out);
  assert.ok(out.includes('  payload sent: "token=<redacted> rest"\n'), out);
  assert.ok(out.includes(`  1. crashes: ${file}:14: routes[0] "org.example/crash/*", severity 3-4 → taken (no continue: the routes after it are not tried)\n`), out);
  assert.ok(out.includes(`  2. limited: ${file}:17: routes[1] "org.example/*", severity 1-4 → no: route crashes took the record first (without continue)\n`), out);
  assert.ok(out.includes('  crashes: no rate limit → admit\n'), out);
  assert.ok(out.includes('  archive (route crashes): file /var/log/archive.ndjson'), out);

  const low = await runCli(['--root', root, 'explain', '--policy', file, '--class', 'org.example/crash/kernel', '--severity', '2']);
  assert.ok(low.stdout.includes('  1. crashes: ') && low.stdout.includes('severity 3-4 → no: severity outside 3-4\n'), low.stdout);
  assert.ok(low.stdout.includes('  limited: records: 2/1h, when_exceeded: drop → admit\n'), low.stdout);
});

test('telem explain --class: a denied record names the deny rule at its file:line, and no route is considered', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, POLICY);
  const result = await runCli(['--root', root, 'explain', '--policy', file, '--class', 'org.example/secret/key']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\nVerdict: rejected: denied\n/);
  assert.ok(result.stdout.includes(`  deny matches: ${file}:7: collection.deny[0] "org.example/secret/*" → rejected: denied\n`), result.stdout);
  assert.ok(result.stdout.includes('Routes, in order\n  none considered\n'), result.stdout);

  const outside = await runCli(['--root', root, 'explain', '--policy', file, '--class', 'org.other/x/y', '--format', 'json']);
  const json = JSON.parse(outside.stdout) as JsonExplanation;
  assert.equal(json.format_version, 1);
  assert.deepEqual(json.verdict, { outcome: 'rejected', reason: 'not_allowed' });
});

test('telem explain --class: without opt-in the record is refused at intake, and the steps after say what happens once opted in', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, POLICY.replace('consent: { require_opt_in: false }\n', ''));
  const result = await runCli(['--root', root, 'explain', '--policy', file, '--class', 'org.example/probe/x']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\nVerdict: refused at intake: not_opted_in \(once opted in: spooled for route limited → central\)\n/);
  assert.match(result.stdout, /require_opt_in: true; this machine is not opted in \(no .*etc\/telemetrics\/opt-in\) → refused at intake\n/);
});

test('telem explain RECORD_ID: a record a real agent dropped over a rate limit names the route, the limit with its file:line and the policy revision', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, POLICY);
  const agent = await startAgent(t, { root, policy: file });
  for (let index = 0; index < 4; index += 1) assert.equal(await sendRaw(agent.socketPath, [testFrame({ classification: 'org.example/probe/test', payload: `r${index}` })]), null);
  const journalFile = path.join(root, 'var/log/telemetry/journal');
  let entries: Awaited<ReturnType<typeof readJournal>>['entries'] = [];
  for (let attempt = 0; attempt < 200 && entries.length < 4; attempt += 1) {
    entries = (await readJournal({ file: journalFile })).entries;
    if (entries.length < 4) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await agent.stop(), 0);
  const dropped = entries.filter((entry) => entry.reason === 'rate_limited');
  assert.equal(dropped.length, 2, JSON.stringify(entries));
  const id = dropped[0]?.recordId as string;

  const result = await runCli(['--root', root, 'explain', '--policy', file, id]);
  assert.equal(result.stderr, '');
  assert.equal(result.code, 0);
  assert.match(result.stdout, new RegExp(`^Record ${id}: org\\.example/probe/test \\(event [0-9a-f]{32}, boot `));
  assert.match(result.stdout, /\n {2}\d{4}-\d\d-\d\dT[\d:.]+Z dropped: rate_limited route limited → central, policy revision 7\n/);
  assert.ok(result.stdout.includes(`    limit of route limited: records: 2/1h, when_exceeded: drop (${file}:20)\n`), result.stdout);
  assert.ok(result.stdout.includes('    limiter: over the limit with when_exceeded: drop: dropped\n'), result.stdout);
  assert.ok(result.stdout.includes('Delivered to\n  none\n'), result.stdout);
  const deliveredId = entries.find((entry) => entry.outcome === 'delivered')?.recordId as string;
  const delivered = await runCli(['--root', root, 'explain', '--policy', file, deliveredId]);
  assert.ok(delivered.stdout.includes('    limiter: admitted under records: 2/1h, when_exceeded: drop\n'), delivered.stdout);
  assert.ok(delivered.stdout.includes('Delivered to\n  central (route limited): local'), delivered.stdout);
  assert.ok(result.stdout.includes('the journal keeps each final outcome per destination, not the delivery attempts before it'), result.stdout);

  const json = JSON.parse((await runCli(['--root', root, 'explain', '--policy', file, id, '--format', 'json'])).stdout) as JsonExplanation;
  assert.equal(json.format_version, 1);
  assert.equal(json.kind, 'journaled');
  assert.deepEqual(
    json.outcomes.map((o) => [o.outcome, o.reason, o.route, o.policyRevision, o.limit, o.limitPlace]),
    [['dropped', 'rate_limited', 'limited', 7, 'records: 2/1h, when_exceeded: drop', `${file}:20`]],
  );
  assert.deepEqual(
    json.routes.map((r) => [r.name, r.verdict, r.severities]),
    [
      ['crashes', null, []],
      ['limited', null, [1, 2, 3, 4]],
    ],
  );
  assert.deepEqual(json.otherRevisions, []);

  // The policy changed since: the explanation says the record ran under another revision.
  await writeFile(file, POLICY.replace('revision: 7', 'revision: 8').replace('2/1h', '10/1h'));
  const later = await runCli(['--root', root, 'explain', '--policy', file, id]);
  assert.equal(later.code, 0, later.stderr);
  assert.ok(later.stdout.includes('dropped: rate_limited route limited → central, policy revision 7\n'), later.stdout);
  assert.ok(later.stdout.includes("the record ran under policy revision 7, the policy here is revision 8: the rules shown are revision 8's"), later.stdout);
});

test('telem explain RECORD_ID without --policy: when the machine policy changed since the record ran, the rules the agent applied explain it', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  const machinePolicy = path.join(root, 'etc/telemetrics/telem.policy.yaml');
  await writeFile(machinePolicy, POLICY);
  const agent = await startAgent(t, { root });
  for (let index = 0; index < 3; index += 1) assert.equal(await sendRaw(agent.socketPath, [testFrame({ classification: 'org.example/probe/test', payload: `r${index}` })]), null);
  const journalFile = path.join(root, 'var/log/telemetry/journal');
  let entries: Awaited<ReturnType<typeof readJournal>>['entries'] = [];
  for (let attempt = 0; attempt < 200 && entries.length < 3; attempt += 1) {
    entries = (await readJournal({ file: journalFile })).entries;
    if (entries.length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await agent.stop(), 0);
  const id = entries.find((entry) => entry.reason === 'rate_limited')?.recordId as string;
  assert.ok(id, JSON.stringify(entries));
  await writeFile(machinePolicy, POLICY.replace('revision: 7', 'revision: 8').replace('2/1h', '10/1h'));

  const result = await runCli(['--root', root, 'explain', id]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes('Policy: explained revision 7 ('), result.stdout);
  assert.ok(result.stdout.includes('    limit of route limited: records: 2/1h, when_exceeded: drop (as applied)\n'), result.stdout);
  assert.ok(result.stdout.includes('  2. limited: (as applied): routes[1] "org.example/*", severity 1-4 → taken at severity 1, 2, 3, 4\n'), result.stdout);
  assert.ok(result.stdout.includes('the rules shown are those the agent applied (revision 7'), result.stdout);
  assert.ok(result.stdout.includes('the policy file is now revision 8'), result.stdout);
  // Named explicitly, the file's rules are used, and the revision it ran under is flagged.
  const named = await runCli(['--root', root, 'explain', '--policy', machinePolicy, id]);
  assert.ok(named.stdout.includes('records: 10/1h'), named.stdout);
  assert.ok(named.stdout.includes('the record ran under policy revision 7, the policy here is revision 8'), named.stdout);
});

test('telem explain: an unknown record id exits 3 with one line; a missing policy file exits 2 with one line', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, POLICY);
  const unknown = 'f'.repeat(32);
  const missing = await runCli(['--root', root, 'explain', '--policy', file, unknown]);
  assert.equal(missing.code, 3);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, `telem explain: no record ${unknown}: nothing is journaled yet (no ${root}/var/log/telemetry/journal)\n`);

  const journal = path.join(root, 'var/log/telemetry');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(journal, { recursive: true });
  await writeFile(path.join(journal, 'journal'), `${'a'.repeat(32)}\x1e1795385548\x1eorg.example/probe/test\x1e${'e'.repeat(32)}\x1eboot\x1edelivered\x1e\x1elimited\x1ecentral\x1e7\n`);
  const notThere = await runCli(['--root', root, 'explain', '--policy', file, unknown]);
  assert.equal(notThere.code, 3);
  assert.equal(notThere.stderr, `telem explain: no record ${unknown}: the journal ${journal}/journal has no line for it (it keeps the last 100)\n`);

  const noPolicy = await runCli(['--root', root, 'explain', '--policy', path.join(root, 'nope.yaml'), '--class', 'org.example/a/b']);
  assert.equal(noPolicy.code, 2);
  assert.equal(noPolicy.stdout, '');
  assert.equal(noPolicy.stderr, `telem explain: ${root}/nope.yaml: cannot read policy file: no such file\n`);
});

test('telem explain: bad input gets one line and the documented exit status', async (t) => {
  const root = await tempDir(t);
  const file = await writePolicy(root, POLICY);
  const cases: [string[], number, RegExp][] = [
    [[], 2, /^telem explain: give a RECORD_ID, or --class C for a record that has not been sent\n$/],
    [['abc', '--class', 'org.example/a/b'], 2, /^telem explain: give a RECORD_ID, or --class C/],
    [['abc', '--severity', '2'], 2, /^telem explain: --severity and --payload go with --class, not with a RECORD_ID\n$/],
    [['--class', 'org.example/a/b', '--severity', '9'], 2, /^telem explain: --severity must be 1 to 4, not "9"\n$/],
    [['--class', 'not-a-classification'], 1, /^telem explain: .*\n$/],
  ];
  for (const [args, code, stderr] of cases) {
    const result = await runCli(['--root', root, 'explain', '--policy', file, ...args]);
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, stderr, args.join(' '));
    assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
  }
  const invalid = await writePolicy(root, 'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: bad }\nroutes: [{ name: r, to: [nowhere] }]\n', 'bad.yaml');
  const bad = await runCli(['--root', root, 'explain', '--policy', invalid, '--class', 'org.example/a/b']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.yaml:4:.*nowhere/);
});

test('telem explain: a rule of a TypeScript policy names its file (no lines: the policy is a value), a default says so', async (t) => {
  const root = await tempDir(t);
  const file = fromRoot('policies/examples/typed.policy.ts');
  const result = await runCli(['--root', root, 'explain', '--policy', file, '--class', 'org.clearlinux/crash/x']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes(`  2. default: ${file}: routes[1] "*", severity 1-4 → taken`), result.stdout);
  assert.ok(result.stdout.includes('  allow matches: (default): collection.allow[0] "*"\n'), result.stdout);
});
