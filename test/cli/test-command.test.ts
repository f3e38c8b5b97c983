/** `telem test`: the shipped example tests pass (so they run in npm test), a wrong expectation exits 1 with a diff, a broken file exits 2 with file:line. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFixture } from '../policy-test/fixture.js';

test('telem test policies/examples: every example policy has tests and they all pass', async () => {
  const result = await runCli(['test', 'policies/examples']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  for (const policy of ['crashes-two-destinations', 'local-only', 'probes', 'typed']) {
    assert.match(result.stdout, new RegExp(`^PASS policies/examples/${policy}\\.policy-test\\.yaml \\(policy "`, 'm'));
  }
  assert.match(result.stdout, /^✔ \d+ passed, 0 failed \(\d+ cases in 4 files\)\n$/m);
  const json = await runCli(['test', 'policies/examples', '--format', 'json']);
  assert.equal(json.code, 0);
  const run = JSON.parse(json.stdout) as { format_version: number; summary: { files: number; cases: number; passed: number; failed: number; broken: number } };
  assert.equal(run.format_version, 1);
  assert.ok(run.summary.cases >= 3);
  assert.deepEqual(run.summary, { files: 4, cases: run.summary.cases, passed: run.summary.cases, failed: 0, broken: 0 });
});

test('telem test: a wrong expectation fails with a diff and exits 1; JSON carries expected and actual', async (t) => {
  const dir = await tempDir(t);
  await writeFixture(
    dir,
    `policy: ./fixture.policy.yaml
tests:
  - name: right
    record: { classification: org.example/metrics/cpu, severity: 2 }
    expect: { outcome: delivered }
  - name: deliberately wrong
    records: { count: 4, classification: org.example/slow/x, severity: 2, every: 1s }
    expect: { last: { outcome: delivered }, payload: "x" }
`,
  );
  // Without PATH, the current directory is searched.
  const result = await runCli(['test'], { cwd: dir });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /^FAIL fixture\.policy-test\.yaml \(policy "fixture", revision 7\)$/m);
  assert.match(result.stdout, /^ {2}✓ right$/m);
  assert.match(result.stdout, /^ {2}✗ deliberately wrong {2}\(fixture\.policy-test\.yaml:6\)$/m);
  assert.match(result.stdout, /^ {6}payload \(record 1 of 4, and 3 more\): - expected, \+ actual\n {8}- "x"\n {8}\+ ""$/m);
  assert.match(result.stdout, /^ {6}last\.outcome: - expected, \+ actual\n {8}- "delivered"\n {8}\+ "dropped:expired"$/m);
  assert.match(result.stdout, /^✖ 1 passed, 1 failed \(2 cases in 1 file\)$/m);
  const json = await runCli(['test', '.', '--format', 'json'], { cwd: dir });
  assert.equal(json.code, 1);
  const run = JSON.parse(json.stdout) as { files: { cases: { passed: boolean; line: number; failures: { path: string; expected: unknown; actual: unknown }[] }[] }[] };
  const failed = run.files[0]?.cases[1];
  assert.equal(failed?.passed, false);
  assert.equal(failed?.line, 6);
  assert.deepEqual(
    failed?.failures.find((failure) => failure.path === 'last.outcome'),
    { path: 'last.outcome', expected: 'delivered', actual: 'dropped:expired' },
  );
});

test('telem test: a broken test file is reported at file:line and exits 2, even beside passing ones', async (t) => {
  const dir = await tempDir(t);
  const passing = await writeFixture(
    dir,
    'policy: ./fixture.policy.yaml\ntests:\n  - { name: ok, record: { classification: org.example/metrics/cpu, severity: 2 }, expect: { outcome: delivered } }\n',
  );
  const broken = path.join(dir, 'broken.policy-test.yaml');
  await writeFile(broken, 'policy: ./fixture.policy.yaml\ntests:\n  - name: typo\n    record: { clasification: org.example/x/y }\n    expect: {}\n');
  const result = await runCli(['test', passing, broken]);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  const escaped = broken.replaceAll('.', '\\.');
  assert.match(result.stdout, new RegExp(`^BROKEN ${escaped}$`, 'm'));
  assert.match(result.stdout, new RegExp(`^ {2}${escaped}:4:15 +error +unknown key "clasification" \\(did you mean "classification"\\?\\)`, 'm'));
  assert.match(result.stdout, /^ {2}✓ ok$/m);
  assert.match(result.stdout, /^✖ 1 passed, 0 failed, 1 broken test file \(1 case in 2 files\)$/m);
  const json = JSON.parse((await runCli(['test', broken, '--format', 'json'])).stdout) as { files: { diagnostics: { code: string; line: number; file: string }[] }[] };
  assert.deepEqual(
    json.files[0]?.diagnostics.map(({ code, line, file }) => ({ code, line, file })),
    [
      { code: 'schema-missing-key', line: 4, file: broken },
      { code: 'schema-unknown-key', line: 4, file: broken },
    ],
  );
});

test('telem test: a missing policy file, and a path with no test files, exit 2', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'x.policy-test.yaml');
  await writeFile(file, 'policy: ./gone.policy.yaml\ntests:\n  - { name: x, record: { classification: a/b/c }, expect: {} }\n');
  const missing = await runCli(['test', file]);
  assert.equal(missing.code, 2);
  assert.match(missing.stdout, /x\.policy-test\.yaml:1:9 +error +cannot read the policy .*gone\.policy\.yaml.*\(test-policy-unreadable\)/);
  const empty = await tempDir(t);
  const none = await runCli(['test'], { cwd: empty });
  assert.equal(none.code, 2);
  assert.match(none.stdout, /^ {2}\. +error +no \*\.policy-test\.yaml file in this folder or below it +\(root\) +\(test-file-not-found\)$/m);
});

test('telem test --help: documents the exit statuses', async () => {
  const result = await runCli(['test', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout.replace(/\s+/g, ' '), /Exit status: 0 every case passed, 1 a case failed .* 2 a test file is broken/);
});
