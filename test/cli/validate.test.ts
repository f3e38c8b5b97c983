import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const broken = 'test/fixtures/policies/broken.policy.yaml';

test('telem validate: the default policy is valid and exits 0', async () => {
  const result = await runCli(['validate', 'policies/default.policy.yaml']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'policies/default.policy.yaml: valid (policy "default", revision 1)\n');
  assert.equal(result.stderr, '');
});

test('telem validate: a wrong type and an unknown destination are both reported with file:line:col, path and code; exit 1', async () => {
  const result = await runCli(['validate', broken]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stdout,
    [
      `${broken}:12:13  error  expected a size such as "5MiB", a number of bytes, or "unlimited"  spool.max_size   (schema-invalid-value)`,
      `${broken}:15:19  error  route "default" sends to unknown destination "archive"             routes[0].to[1]  (unknown-destination)`,
      `${' '.repeat(broken.length + 8)}hint: defined destinations: central`,
      '',
      '✖ 2 problems (2 errors, 0 warnings)',
      '',
    ].join('\n'),
  );
});

test('telem validate --format json: stdout is only a JSON report of the diagnostics', async () => {
  const result = await runCli(['validate', '--format', 'json', broken]);
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as { valid: boolean; errorCount: number; diagnostics: { code: string; line: number; column: number; pathText: string }[] };
  assert.equal(report.valid, false);
  assert.equal(report.errorCount, 2);
  assert.deepEqual(
    report.diagnostics.map((d) => [d.code, d.line, d.column, d.pathText]),
    [
      ['schema-invalid-value', 12, 13, 'spool.max_size'],
      ['unknown-destination', 15, 19, 'routes[0].to[1]'],
    ],
  );
});

test('telem validate: warnings are printed but the exit status stays 0', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'telem.policy.yaml'),
    'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: w }\ndestinations: { l: { type: local } }\nroutes:\n  - { name: all, to: [l] }\n  - { name: never, match: { classification: "a/b/c" }, to: [l] }\n',
  );
  const result = await runCli(['validate'], { cwd: dir });
  assert.equal(result.code, 0);
  assert.match(
    result.stdout,
    /^telem\.policy\.yaml:7:27 +warning +route "never" can never match: route "all" before it takes every record it would +routes\[1\]\.match +\(unreachable-route\)$/m,
  );
  assert.match(result.stdout, /⚠ 1 problem \(0 errors, 1 warning\)\ntelem\.policy\.yaml: valid \(policy "w", revision 0\)\n$/);
});

test('telem validate: with no file, searches the current directory', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, '.telemrc.json'), JSON.stringify({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'rc' } }));
  const result = await runCli(['validate'], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /\.telemrc\.json: valid \(policy "rc", revision 0\)/);
});

test('telem validate: a missing file is a usage error (exit 2) explained on stderr', async () => {
  const result = await runCli(['validate', 'nowhere.yaml']);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, 'telem validate: nowhere.yaml: cannot read policy file: no such file\n');
});

test('telem validate: no policy in the directory is a usage error naming where it looked', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['validate'], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no policy found in .*\n {2}hint: create telem\.policy\.yaml there or name a file: looked for telem\.policy\.yaml, /);
});

test('telem validate: unknown options and formats are usage errors (exit 2)', async () => {
  const option = await runCli(['validate', '--strict', broken]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /unknown option '--strict'/);
  const format = await runCli(['validate', '--format', 'xml', broken]);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /Allowed choices are text, json/);
});

test('telem validate --format json: a missing file still prints parseable JSON on stdout', async () => {
  const result = await runCli(['validate', '--format', 'json', 'nowhere.yaml']);
  assert.equal(result.code, 2);
  assert.equal((JSON.parse(result.stdout) as { diagnostics: { code: string }[] }).diagnostics[0]?.code, 'file-unreadable');
});

test('telem --help: lists the commands', async () => {
  const result = await runCli(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /validate \[options\] \[file\] +check a policy file and report problems/);
});

test('telem validate: relative paths and a zero spool are errors at their lines with hints; exit 1', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'telem.policy.yaml');
  await writeFile(
    file,
    [
      'apiVersion: telem/v1',
      'kind: Policy',
      'metadata: { name: footguns }',
      'intake: { socket: telem.sock }',
      'spool: { dir: spool, max_size: 0 }',
      'destinations: { archive: { type: file, path: records.ndjson } }',
      'routes: [{ name: all, to: [archive] }]',
      '',
    ].join('\n'),
  );
  const result = await runCli(['validate', file]);
  assert.equal(result.code, 1);
  const lines = result.stdout.split('\n');
  const row = (where: string, text: string) => {
    const index = lines.findIndex((line) => line.startsWith(`${file}:${where} `) && line.includes(text));
    assert.ok(index >= 0, `${where} ${text} in:\n${result.stdout}`);
    return { line: lines[index] as string, hint: (lines[index + 1] ?? '').trim() };
  };
  const socket = row('4:19', 'intake.socket "telem.sock" must be an absolute path');
  assert.match(
    socket.line,
    /error +intake\.socket "telem\.sock" must be an absolute path: a relative path would resolve against the agent's working directory, outside --root +intake\.socket +\(relative-path\)$/,
  );
  assert.equal(socket.hint, 'hint: start it with "/", such as "/run/telem-0"');
  assert.equal(row('5:15', 'spool.dir "spool" must be an absolute path').hint, 'hint: start it with "/", such as "/var/spool/telemetry"');
  const zero = row('5:32', 'spool.max_size 0B leaves the spool no room');
  assert.match(zero.line, /\(spool-size-zero\)$/);
  assert.equal(zero.hint, 'hint: use a positive size or "unlimited"');
  row('6:46', 'destinations.archive.path "records.ndjson" must be an absolute path');
  assert.match(result.stdout, /✖ 4 problems \(4 errors, 0 warnings\)\n$/);
});

test('telem validate: a catastrophic redaction the linear engine cannot take over is an error; one it can take over and a long read_timeout are warnings', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'telem.policy.yaml');
  await writeFile(
    file,
    [
      'apiVersion: telem/v1',
      'kind: Policy',
      'metadata: { name: redaction }',
      'collection:',
      '  redact:',
      "    - pattern: '(a+)+$'",
      "    - pattern: '((\\w+)+)=\\1'",
      'intake: { read_timeout: 2h }',
      'destinations: { l: { type: local } }',
      'routes: [{ name: all, to: [l] }]',
      '',
    ].join('\n'),
  );
  const result = await runCli(['validate', file]);
  assert.equal(result.code, 1);
  assert.match(
    result.stdout,
    new RegExp(
      `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:16 +warning +redaction pattern \\(a\\+\\)\\+\\$ nests a repetition inside a repetition, in \\(a\\+\\)\\+: it would backtrack catastrophically in a backtracking regex engine; telem finishes such matches on a linear-time engine, so it is safe here +collection\\.redact\\[0\\]\\.pattern +\\(redaction-backtracking\\)$`,
      'm',
    ),
  );
  assert.match(
    result.stdout,
    /:7:16 +error +redaction pattern \(\(\\w\+\)\+\)=\\1 nests a repetition inside a repetition, in \(\\w\+\)\+, and it uses the backreference \\1: one payload could pin the agent's CPU +collection\.redact\[1\]\.pattern +\(redaction-not-linear\)\n +hint: telem finishes a match that backtracks too much on a linear-time engine/,
  );
  assert.match(
    result.stdout,
    /:8:25 +warning +intake\.read_timeout 2h is over 1 hour: a slow or silent client could hold one of the 256 intake slots that long +intake\.read_timeout +\(intake-timeout-long\)$/m,
  );
  assert.match(result.stdout, /✖ 3 problems \(1 error, 2 warnings\)\n$/);
});

test('telem validate: a duration of more than 100 years is an error "duration too long"', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'telem.policy.yaml');
  await writeFile(
    file,
    'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: long }\nspool: { expiry: 99999999999w }\ndestinations: { l: { type: local } }\nroutes: [{ name: all, to: [l] }]\n',
  );
  const result = await runCli(['validate', file]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /:4:18 +error +duration too long: at most 100 years \(36500d\), got "99999999999w" +spool\.expiry +\(schema-invalid-value\)$/m);
});
