/** `telem keygen` and `telem bundle build|verify|inspect`, run as an operator would: exit statuses and the one line each refusal prints. */
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { canonicalJson } from '../../engine/hash/canonical-json.js';
import { runCli } from '../helpers/cli.js';

let dir = '';
let key = '';
let otherKey = '';
let bundle = '';

const policyYaml = (options: { name?: string; revision?: number; extra?: string; destinations?: string } = {}) => `apiVersion: telem/v1
kind: Policy
metadata: { name: ${options.name ?? 'fleet-x'}, revision: ${options.revision ?? 3} }
${options.extra ?? ''}destinations: ${options.destinations ?? '{ central: { type: http, url: "https://c.example/v3/collector" } }'}
routes: [{ name: default, match: { classification: "*" }, to: [${options.destinations === undefined ? 'central' : 'central, evil'}] }]
`;

async function write(name: string, text: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

async function build(name: string, args: string[] = [], policy = policyYaml()): Promise<string> {
  const policyFile = await write(`${name}.policy.yaml`, policy);
  const out = path.join(dir, `${name}.bundle`);
  const result = await runCli(['bundle', 'build', policyFile, '--key', path.join(dir, 'keys', 'ops.key'), '--channel', 'stable', '--sequence', '5', '-o', out, ...args]);
  assert.equal(result.code, 0, result.stderr);
  return out;
}

/** Exit 1 and exactly one line on stderr, naming the file; returns the line. */
async function refused(args: string[], file: string): Promise<string> {
  const result = await runCli(['bundle', 'verify', file, ...args]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0]?.startsWith(`telem bundle verify: ${file}: `), lines[0]);
  return lines[0] as string;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'telem-bundle-cli-'));
  const [first, second] = await Promise.all([runCli(['keygen', '--out', path.join(dir, 'keys'), '--name', 'ops']), runCli(['keygen', '--out', path.join(dir, 'other')])]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  key = first.stdout.trim();
  otherKey = second.stdout.trim();
  bundle = await build('good');
});

after(() => rm(dir, { recursive: true, force: true }));

test('telem keygen: NAME.key mode 0600 and NAME.pub; prints the public key as ed25519:<base64>; never overwrites', async () => {
  assert.match(key, /^ed25519:[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(key, otherKey);
  assert.equal((await stat(path.join(dir, 'keys', 'ops.key'))).mode & 0o777, 0o600);
  assert.match(await readFile(path.join(dir, 'keys', 'ops.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(await readFile(path.join(dir, 'keys', 'ops.pub'), 'utf8'), `${key}\n`);
  assert.equal((await stat(path.join(dir, 'other', 'bundle.key'))).mode & 0o777, 0o600, 'the default name is "bundle"');
  const again = await runCli(['keygen', '--out', path.join(dir, 'keys'), '--name', 'ops']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exist; a key is never overwritten/);
  assert.equal(await readFile(path.join(dir, 'keys', 'ops.pub'), 'utf8'), `${key}\n`);
});

test('telem bundle build → verify: exit 0, one line naming channel, sequence, policy and signer', async () => {
  const result = await runCli(['bundle', 'verify', bundle, '--trusted-key', otherKey, '--trusted-key', key, '--channel', 'stable', '--applied', '4']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^\S+good\.bundle: verified: channel "stable", sequence 5, policy "fleet-x" revision 3, valid until \S+, signed by ed25519:\S+…\n$/);
  assert.equal(result.stderr, '');
});

test('telem bundle verify: one modified byte in the manifest, in a file or in a signature is exit 1 with one line', async () => {
  const bytes = await readFile(bundle);
  const text = bytes.toString('utf8');
  const places = { manifest: text.indexOf('"channel":"stable"') + 12, file: text.indexOf('"policy.json":"') + 40, signature: text.lastIndexOf('"signature":"') + 20 };
  const lines = await Promise.all(
    Object.entries(places).map(async ([name, index]) => {
      const changed = Buffer.from(bytes);
      changed[index] = (changed[index] as number) === 0x41 ? 0x42 : 0x41;
      return refused(['--trusted-key', key], await write(`changed-${name}.bundle`, changed));
    }),
  );
  assert.match(lines[0] as string, /bad signature/);
  assert.match(lines[1] as string, /file policy\.json was modified|not the base64/);
  assert.match(lines[2] as string, /bad signature/);
});

test('telem bundle verify: a wrong key, an expired bundle, --applied at or above the sequence, another --channel, an unknown format', async () => {
  assert.match(await refused(['--trusted-key', otherKey], bundle), /signed only by keys that are not trusted \(ed25519:/);
  const expired = await build('expired', ['--expires', '1ms']);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.match(await refused(['--trusted-key', key], expired), /: the bundle expired at \S+ \(built \S+\); build and sign a new one$/);
  assert.match(await refused(['--trusted-key', key, '--applied', '5'], bundle), /the bundle's sequence 5 is not above the applied sequence 5/);
  assert.match(await refused(['--trusted-key', key, '--applied', '6'], bundle), /sequence 5 is not above the applied sequence 6/);
  assert.match(await refused(['--trusted-key', key, '--channel', 'canary'], bundle), /the bundle is for channel "stable", not "canary"$/);
  const container = JSON.parse(await readFile(bundle, 'utf8')) as { manifest: { format: string } };
  container.manifest.format = 'telem-bundle/9';
  const future = await write('future.bundle', `${canonicalJson(container)}\n`);
  assert.match(await refused(['--trusted-key', key], future), /unknown bundle format "telem-bundle\/9" \(this telem reads telem-bundle\/1\)$/);
  assert.match(await refused(['--trusted-key', key], await write('policy-not-bundle.bundle', policyYaml())), /not a telem bundle/);
});

test('telem bundle verify --policy: trusted keys and channel from the local policy', async () => {
  const trusting = await write('local.policy.yaml', policyYaml({ name: 'local', extra: `fleet: { source: /var/lib/telem/stable.bundle, trusted_keys: ["${key}"] }\n` }));
  const ok = await runCli(['bundle', 'verify', bundle, '--policy', trusting]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  const other = await write('other.policy.yaml', policyYaml({ name: 'local', extra: `fleet: { trusted_keys: ["${otherKey}"] }\n` }));
  assert.match(await refused(['--policy', other], bundle), /not trusted/);
  const canary = await write('canary.policy.yaml', policyYaml({ name: 'local', extra: `fleet: { channel: canary, trusted_keys: ["${key}"] }\n` }));
  assert.match(await refused(['--policy', canary], bundle), /for channel "stable", not "canary"/);
  const none = await runCli(['bundle', 'verify', bundle, '--policy', await write('none.policy.yaml', policyYaml())]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /has no fleet\.trusted_keys/);
});

test('telem bundle verify --policy: a bundle that lifts opt-in or sends outside fleet.allowed_destinations is refused, naming each field', async () => {
  const local = await write('floor.policy.yaml', policyYaml({ name: 'local', extra: `fleet: { trusted_keys: ["${key}"], allowed_destinations: ["https://c.example/"] }\n` }));
  const crossing = await build(
    'crossing',
    [],
    policyYaml({
      extra: 'consent: { require_opt_in: false }\n',
      destinations: '{ central: { type: http, url: "https://c.example/v3/collector" }, evil: { type: http, url: "https://evil.example/v3/collector" } }',
    }),
  );
  const result = await runCli(['bundle', 'verify', crossing, '--policy', local]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => /refused by the local policy: (\S+): .* \((\S+)\)$/.exec(line)?.slice(1)),
    [
      ['consent.require_opt_in', 'floor-consent'],
      ['destinations.evil.url', 'floor-destination'],
    ],
    result.stderr,
  );
  // Without the local policy there is no floor to check: the signature alone verifies.
  assert.equal((await runCli(['bundle', 'verify', crossing, '--trusted-key', key])).code, 0);
});

test('telem bundle inspect: manifest, files, plan against --previous, rollout and signature state', async () => {
  const rollout = await write('rollout.yaml', 'id: limits-1\nstart: 2026-12-03T10:00:00Z\nsteps:\n  - { percent: 10, bake: 2h }\n  - { percent: 100, bake: 0s }\n');
  const next = await build('next', ['--sequence', '6', '--previous', bundle, '--rollout', rollout], policyYaml({ revision: 4, extra: 'consent: { require_opt_in: false }\n' }));
  const text = await runCli(['bundle', 'inspect', next, '--trusted-key', key]);
  assert.equal(text.code, 0, text.stderr);
  for (const line of [
    /^ {2}format {12}telem-bundle\/1$/m,
    /^ {2}channel {11}stable$/m,
    /^ {2}sequence {10}6$/m,
    /^ {2}policy {12}"fleet-x" revision 4 \(sha256 [0-9a-f]{64}\)$/m,
    /^ {2}not_after {9}\S+ \(4w1d23h59m\d+s left\)$/m,
    /^ {4}policy\.json +\d+ bytes {2}sha256 [0-9a-f]{16}… {2}ok$/m,
    /^ {4}source\/next\.policy\.yaml +\d+ bytes {2}sha256 [0-9a-f]{16}… {2}ok$/m,
    /^ {2}plan against sequence 5 \(policy "fleet-x" revision 3\): 0 to add, 1 to change, 0 to remove$/m,
    /^ {4}~ consent "consent" \(PRIVACY: records are collected without the machine opting in\)$/m,
    /^ {2}rollout {11}"limits-1" from 2026-12-03T10:00:00\.000Z, deadline none$/m,
    /^ {4}step 0 {3}10% {2}2026-12-03T10:00:00\.000Z → 2026-12-03T12:00:00\.000Z {2}bake 2h {2}max_failure_rate 0\.05$/m,
    /^ {4}step 1 {2}100% {2}2026-12-03T12:00:00\.000Z → 2026-12-03T12:00:00\.000Z {2}bake 0s {2}max_failure_rate 0\.05$/m,
    /^ {4}gates {2}delivery failure ratio ≤ 0\.2, drops ≤ \* 0, spool growth ≤ 16MiB, restarts ≤ 2, compare factor 2$/m,
    new RegExp(`^ {4}${key.replace(/[+/]/g, '\\$&')} {2}valid, trusted$`, 'm'),
  ]) {
    assert.match(text.stdout, line);
  }
  for (const [at, due] of [
    ['2026-12-03T09:59:59Z', /^ {2}due at 2026-12-03T09:59:59\.000Z: 0% of the fleet \(before the first step: no machine takes it yet\)$/m],
    ['2026-12-03T10:00:00Z', /^ {2}due at 2026-12-03T10:00:00\.000Z: 10% of the fleet \(step 0\)$/m],
    ['2026-12-03T13:00:00Z', /^ {2}due at 2026-12-03T13:00:00\.000Z: 100% of the fleet \(step 1\)$/m],
  ] as const) {
    const shown = await runCli(['bundle', 'inspect', next, '--at', at]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, due);
  }
  const dueJson = JSON.parse((await runCli(['bundle', 'inspect', next, '--at', '2026-12-03T11:00:00Z', '--format', 'json'])).stdout) as { rollout_due: unknown };
  assert.deepEqual(dueJson.rollout_due, { at: '2026-12-03T11:00:00.000Z', step: 0, percent: 10, past_deadline: false });
  const badAt = await runCli(['bundle', 'inspect', next, '--at', 'tomorrow']);
  assert.equal(badAt.code, 2);
  assert.match(badAt.stderr, /expected an ISO 8601 time/);
  const untrusted = await runCli(['bundle', 'inspect', next]);
  assert.match(untrusted.stdout, /valid, trust not checked \(no --trusted-key\)$/m);
  const json = await runCli(['bundle', 'inspect', next, '--format', 'json', '--trusted-key', otherKey]);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { manifest: { sequence: number }; files: { state: string }[]; signatures: { valid: boolean; trusted: boolean }[]; expired: boolean };
  assert.equal(report.manifest.sequence, 6);
  assert.deepEqual(
    report.files.map((file) => file.state),
    ['ok', 'ok'],
  );
  assert.deepEqual(
    report.signatures.map(({ valid, trusted }) => ({ valid, trusted })),
    [{ valid: true, trusted: false }],
  );
  assert.equal(report.expired, false);
  // A modified file shows as MODIFIED rather than failing the inspection.
  const container = JSON.parse(await readFile(next, 'utf8')) as { files: Record<string, string> };
  container.files['source/next.policy.yaml'] = Buffer.from('changed').toString('base64');
  const changed = await runCli(['bundle', 'inspect', await write('changed-source.bundle', `${canonicalJson(container)}\n`)]);
  assert.match(changed.stdout, /source\/next\.policy\.yaml .* MODIFIED$/m);
  assert.match(changed.stdout, /^ {2}canonical form {4}yes$/m);
  // A reformatted bundle is shown too, marked as not in canonical form.
  const pretty = await runCli(['bundle', 'inspect', await write('pretty.bundle', JSON.stringify(JSON.parse(await readFile(next, 'utf8')), null, 2))]);
  assert.equal(pretty.code, 0, pretty.stderr);
  assert.match(pretty.stdout, /^ {2}canonical form {4}NO: /m);
});

test('telem bundle: usage errors exit 2, a policy with errors exits 1', async () => {
  const noKeys = await runCli(['bundle', 'verify', bundle]);
  assert.equal(noKeys.code, 2);
  assert.match(noKeys.stderr, /give --trusted-key/);
  const badKey = await runCli(['bundle', 'verify', bundle, '--trusted-key', 'ed25519:nope']);
  assert.equal(badKey.code, 2, badKey.stderr);
  const missing = await runCli(['bundle', 'verify', path.join(dir, 'absent.bundle'), '--trusted-key', key]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read bundle/);
  const noSequence = await runCli([
    'bundle',
    'build',
    path.join(dir, 'good.policy.yaml'),
    '--key',
    path.join(dir, 'keys', 'ops.key'),
    '--channel',
    'stable',
    '-o',
    path.join(dir, 'x.bundle'),
  ]);
  assert.equal(noSequence.code, 2, noSequence.stderr);
  const notAKey = await runCli([
    'bundle',
    'build',
    path.join(dir, 'good.policy.yaml'),
    '--key',
    path.join(dir, 'keys', 'ops.pub'),
    '--channel',
    'stable',
    '--sequence',
    '1',
    '-o',
    path.join(dir, 'x.bundle'),
  ]);
  assert.equal(notAKey.code, 2, notAKey.stderr);
  assert.match(notAKey.stderr, /is not a private key/);
  await copyFile(path.join(dir, 'keys', 'ops.key'), path.join(dir, 'open.key'));
  await chmod(path.join(dir, 'open.key'), 0o644);
  const open = await runCli([
    'bundle',
    'build',
    path.join(dir, 'good.policy.yaml'),
    '--key',
    path.join(dir, 'open.key'),
    '--channel',
    'stable',
    '--sequence',
    '1',
    '-o',
    path.join(dir, 'open.bundle'),
  ]);
  assert.equal(open.code, 0, open.stderr);
  assert.match(open.stderr, /warning: \S+open\.key can be read by other users \(mode 0644\); telem keygen writes keys 0600\n$/);
  const invalid = await write('invalid.policy.yaml', policyYaml().replace('to: [central]', 'to: [nowhere]'));
  const result = await runCli(['bundle', 'build', invalid, '--key', path.join(dir, 'keys', 'ops.key'), '--channel', 'stable', '--sequence', '1', '-o', path.join(dir, 'x.bundle')]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /unknown-destination/);
  const buildWith = (rolloutFile: string) =>
    runCli([
      'bundle',
      'build',
      path.join(dir, 'good.policy.yaml'),
      '--key',
      path.join(dir, 'keys', 'ops.key'),
      '--channel',
      'stable',
      '--sequence',
      '1',
      '--rollout',
      rolloutFile,
      '-o',
      path.join(dir, 'r.bundle'),
    ]);
  const shrinking = await buildWith(await write('shrinking.rollout.yaml', 'id: r\nsteps: [{ percent: 50 }, { percent: 20 }]\n'));
  assert.equal(shrinking.code, 1, shrinking.stderr);
  assert.match(shrinking.stderr, /shrinking\.rollout\.yaml: steps\.1\.percent: step 1 covers 20%, not more than step 0 before it \(50%\)\n$/);
  const notYaml = await buildWith(await write('broken.rollout.yaml', 'id: [r\n'));
  assert.equal(notYaml.code, 2, notYaml.stderr);
  assert.match(notYaml.stderr, /broken\.rollout\.yaml: not YAML or JSON: /);
  assert.equal((await buildWith(path.join(dir, 'absent.rollout.yaml'))).code, 2);
  const backwards = await runCli([
    'bundle',
    'build',
    path.join(dir, 'good.policy.yaml'),
    '--key',
    path.join(dir, 'keys', 'ops.key'),
    '--channel',
    'stable',
    '--sequence',
    '5',
    '--previous',
    bundle,
    '-o',
    path.join(dir, 'x.bundle'),
  ]);
  assert.equal(backwards.code, 2, backwards.stderr);
  assert.match(backwards.stderr, /sequence 5 is not above the previous bundle's 5/);
});
