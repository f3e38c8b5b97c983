import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ETC_CONF } from '../../engine/legacy/search.js';
import { translateConf } from '../../engine/legacy/translate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { legacyFixture } from '../legacy/helpers.js';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('telem convert: writes a commented policy that validates, and prints the diagnostics on stderr', async (t) => {
  const dir = await tempDir(t);
  const output = path.join(dir, 'policy.yaml');
  const conf = legacyFixture('example.conf');
  const result = await runCli(['convert', conf, '-o', output]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, new RegExp(`${escape(conf)}:30:20 +warning +byte_burst_limit=1000 counted 4 bytes per record upstream`));
  assert.match(result.stderr, /wrote the policy to .*policy\.yaml\n$/);

  const yaml = await readFile(output, 'utf8');
  const schemaRef = /^# yaml-language-server: \$schema=(\S+)$/m.exec(yaml)?.[1];
  assert.ok(schemaRef && existsSync(path.resolve(dir, schemaRef)), `the schema reference ${schemaRef} resolves from the output's folder`);
  assert.match(yaml, /^ {4}url: http:\/\/127\.0\.0\.1 # server=http:\/\/127\.0\.0\.1$/m);
  assert.match(yaml, /^ {2}max_size: 1MiB # spool_max_size=1024 \(KiB\)$/m);
  assert.match(yaml, /^ {2}keep_payloads: 0 # record_retention_enabled=false \(compiled default\)$/m);
  assert.match(yaml, /^ {6}records: 100\/15m # record_burst_limit=100, record_window_length=15 \(minutes\)$/m);

  const validated = await runCli(['validate', output]);
  assert.equal(validated.code, 0, validated.stdout);
  assert.equal(validated.stdout, `${output}: valid (policy "telemetrics-conf", revision 0)\n`);
});

test('telem convert: without -o the policy goes to stdout and only diagnostics and notes to stderr', async () => {
  const conf = legacyFixture('example.2.conf');
  const result = await runCli(['convert', conf]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    `${conf}:2:8  note  server=http://127.0.0.1 has no /v2/ path: the policy sends protocol v3 (a JSON body), as upstream 2.4 and later do  (legacy-protocol-from-url)\n`,
  );
  assert.match(result.stdout, /^# yaml-language-server: \$schema=/);
  assert.match(result.stdout, /^ {2}socket: \/run\/telem-0 # socket_path=\/run\/telem-0 \(compiled default\)$/m);
});

test('telem convert: upstream traps are errors at file:line, exit 1 and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const output = path.join(dir, 'policy.yaml');
  const conf = legacyFixture('upstream-traps.conf');
  const result = await runCli(['convert', conf, '-o', output]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  for (const [where, severity, message] of [
    ['3:20', 'warning', "spool_process_time=30 is below upstream's minimum: upstream used 120 seconds"],
    ['4:22', 'error', 'record_window_length=60 is outside 0..59 minutes'],
    ['5:15', 'error', 'record_expiry=-1 is negative'],
    ['6:20', 'error', 'rate_limit_enabled=maybe is not a boolean'],
  ] as const) {
    assert.match(result.stderr, new RegExp(`${escape(`${conf}:${where}`)} +${severity} +${escape(message)}`));
  }
  assert.match(result.stderr, /✖ 5 problems \(3 errors, 2 warnings\)\ntelem convert: nothing written; fix the errors above first\n$/);
  assert.equal(existsSync(output), false);
});

test('telem convert: without a file, /etc/telemetrics/telemetrics.conf under --root is converted', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.join(root, path.dirname(ETC_CONF)), { recursive: true });
  await writeFile(path.join(root, ETC_CONF), '[settings]\nspool_dir=/srv/telemetry\n');
  const result = await runCli(['--root', root, 'convert']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^# Converted from .*\/etc\/telemetrics\/telemetrics\.conf by telem convert\.$/m);
  assert.match(result.stdout, /^ {2}dir: \/srv\/telemetry # spool_dir=\/srv\/telemetry$/m);
});

test('telem convert: TELEM_ROOT works like --root, and with no file there the compiled defaults are converted', async (t) => {
  const root = await tempDir(t);
  const result = await runCli(['convert'], { env: { TELEM_ROOT: root } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    `telem convert: no telemetrics.conf in ${path.join(root, ETC_CONF)} or ${path.join(root, '/usr/share/defaults/telemetrics/telemetrics.conf')}; converting upstream's compiled defaults\n`,
  );
  assert.match(result.stdout, /^ {4}url: https:\/\/clr\.telemetry\.intel\.com\/v3\/collector # server=https:\/\/clr\.telemetry\.intel\.com\/v3\/collector \(compiled default\)$/m);
});

test('telem convert: a named file that does not exist is a usage error', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['convert', path.join(dir, 'missing.conf')]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot read telemetrics\.conf: no such file/);
});

test('telem convert --to-conf: dropping redaction is an error, exit 1 and nothing written, with the other losses listed by name', async (t) => {
  const dir = await tempDir(t);
  const output = path.join(dir, 'telemetrics.conf');
  const policy = legacyFixture('several-destinations.policy.yaml');
  const result = await runCli(['convert', '--to-conf', policy, '-o', output]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  for (const [where, severity, message] of [
    ['10:5', 'error', 'collection.redact cannot be expressed in telemetrics.conf and is left out: the converted file would send payloads unredacted'],
    ['21:5', 'warning', 'destinations.archive cannot be expressed in telemetrics.conf and is left out'],
    ['26:48', 'warning', 'routes[0].rate_limit.algorithm "sliding" cannot be expressed in telemetrics.conf: the converted file gives "minute-slots"'],
    ['27:5', 'warning', 'routes[1] (route "crashes") cannot be expressed in telemetrics.conf and is left out'],
  ] as const) {
    assert.match(result.stderr, new RegExp(`${escape(`${policy}:${where}`)} +${severity} +${escape(message)} `));
  }
  assert.match(result.stderr, /\n +hint: change the policy so a telemetrics\.conf can say it, or pass --force to write the file anyway\n/);
  assert.match(result.stderr, /✖ 4 problems \(1 error, 3 warnings\)\ntelem convert: nothing written; fix the errors above first\n$/);
  assert.equal(existsSync(output), false);
  const toStdout = await runCli(['convert', '--to-conf', policy]);
  assert.equal(toStdout.code, 1);
  assert.equal(toStdout.stdout, '', 'nothing on stdout either');
});

test('telem convert --to-conf --force: writes the file anyway, the lost redaction a warning that says so', async (t) => {
  const dir = await tempDir(t);
  const output = path.join(dir, 'telemetrics.conf');
  const policy = legacyFixture('several-destinations.policy.yaml');
  const result = await runCli(['convert', '--to-conf', '--force', policy, '-o', output]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `${escape(`${policy}:10:5`)} +warning +${escape('collection.redact cannot be expressed in telemetrics.conf and is left out: the converted file would send payloads unredacted (written anyway: --force)')} `,
    ),
  );
  assert.match(result.stderr, /⚠ 4 problems \(0 errors, 4 warnings\)\ntelem convert: wrote telemetrics\.conf to /);
  const written = translateConf({ file: output, text: await readFile(output, 'utf8') });
  assert.deepEqual(written.diagnostics, []);
  assert.equal(written.settings.server, 'https://telemetry.example.org/v3/collector');
  assert.equal(written.settings.tidheader, 'X-Telemetry-TID: 0b7d33e5-3c5e-4c46-9d45-2f16c9a1c7e2');
});

test('telem convert: --force without --to-conf is a usage error, and --help documents it', async () => {
  const result = await runCli(['convert', '--force', legacyFixture('example.conf')]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'telem convert: --force only applies with --to-conf\n');
  assert.equal(result.stdout, '');
  const help = await runCli(['convert', '--help']);
  assert.match(help.stdout, /--force +with --to-conf: write the file even when it would send\s+what the policy keeps back/);
  assert.match(help.stdout, /Losing redaction, the deny or allow lists,\s+min_severity/);
});

test('telem convert: a v2-era conf (server …/v2/collector) becomes protocol v2, and a note names the key, the URL and the protocol', async (t) => {
  const dir = await tempDir(t);
  const conf = path.join(dir, 'telemetrics.conf');
  await writeFile(conf, '[settings]\nserver=http://backend.example:8090/v2/collector\n');
  const result = await runCli(['convert', conf]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    `${conf}:2:8  note  server=http://backend.example:8090/v2/collector has a /v2/ path: the policy sends protocol v2 (record fields as HTTP headers), as upstream 2.3 and earlier did and the v2 backend expects  (legacy-protocol-from-url)\n`,
  );
  assert.match(result.stdout, /^ {4}protocol: v2 # server\n {4}url: http:\/\/backend\.example:8090\/v2\/collector # server=http:\/\/backend\.example:8090\/v2\/collector$/m);
});

test('telem convert --to-conf: a policy with a v2 destination gives a conf whose server converts back to v2', async (t) => {
  const dir = await tempDir(t);
  const policy = path.join(dir, 'v2.policy.yaml');
  await writeFile(
    policy,
    'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: v2 }\ndestinations: { old: { type: http, protocol: v2, url: "http://backend.example/v2/collector" } }\nroutes: [{ name: all, to: [old] }]\n',
  );
  const conf = path.join(dir, 'telemetrics.conf');
  const toConf = await runCli(['convert', '--to-conf', policy, '-o', conf]);
  assert.equal(toConf.code, 0, toConf.stderr);
  assert.doesNotMatch(toConf.stderr, /protocol/, 'nothing about the protocol is lost');
  assert.match(await readFile(conf, 'utf8'), /^server=http:\/\/backend\.example\/v2\/collector$/m);
  const back = await runCli(['convert', conf]);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, /^ {4}protocol: v2 # server$/m);
});

test('telem convert --to-conf: a v2 destination whose URL has no /v2/ is an error, since the conf would send v3', async (t) => {
  const dir = await tempDir(t);
  const policy = path.join(dir, 'v2.policy.yaml');
  await writeFile(
    policy,
    'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: v2 }\ndestinations:\n  old: { type: http, protocol: v2, url: "http://backend.example/collector" }\nroutes: [{ name: all, to: [old] }]\n',
  );
  const result = await runCli(['convert', '--to-conf', policy]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.match(
    result.stderr,
    new RegExp(`${escape(`${policy}:5:`)}\\d+ +error +${escape('destinations.old.protocol "v2" cannot be expressed in telemetrics.conf: the converted file gives "v3": ')}`),
  );
});

test('telem convert: a non-numeric value for a numeric key is an error at file:line, exit 1 and nothing written', async (t) => {
  const dir = await tempDir(t);
  const conf = path.join(dir, 'telemetrics.conf');
  await writeFile(conf, '[settings]\nrecord_expiry=abc\nrecord_burst_limit=many\n');
  const output = path.join(dir, 'policy.yaml');
  const result = await runCli(['convert', conf, '-o', output]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `${escape(`${conf}:2:15`)} +error +${escape('record_expiry=abc is not a number: upstream reads it as 0 (every spooled record expires at once)')} +spool\\.expiry +\\(legacy-not-a-number\\)`,
    ),
  );
  assert.match(
    result.stderr,
    new RegExp(`${escape(`${conf}:3:20`)} +error +${escape('record_burst_limit=many is not a number: upstream reads it as 0 (a limit of 0 records: every record is held back)')}`),
  );
  assert.match(result.stderr, /hint: write a whole number \(the unit is minutes\), or remove the line for the compiled default record_expiry=1200\n/);
  assert.equal(existsSync(output), false);
});

test('telem convert: a relative spool_dir and spool_max_size=0 are errors at their lines', async (t) => {
  const dir = await tempDir(t);
  const conf = path.join(dir, 'telemetrics.conf');
  await writeFile(conf, '[settings]\nspool_dir=var/spool\nspool_max_size=0\n');
  const result = await runCli(['convert', conf]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, new RegExp(`${escape(`${conf}:2:11`)} +error +spool_dir=var/spool must be an absolute path: .* +\\(legacy-relative-path\\)`));
  assert.match(result.stderr, new RegExp(`${escape(`${conf}:3:16`)} +error +spool_max_size=0 leaves the spool no room: .* +\\(legacy-spool-size-zero\\)`));
});

test('telem convert: conf → policy → conf through the CLI gives back the same settings', async (t) => {
  const dir = await tempDir(t);
  const conf = legacyFixture('every-key.conf');
  const yaml = path.join(dir, 'policy.yaml');
  const back = path.join(dir, 'back.conf');
  assert.equal((await runCli(['convert', conf, '-o', yaml])).code, 0);
  const result = await runCli(['convert', '--to-conf', yaml, '-o', back]);
  assert.equal(result.code, 0, result.stderr);
  const original = translateConf({ file: conf, text: await readFile(conf, 'utf8') });
  const again = translateConf({ file: back, text: await readFile(back, 'utf8') });
  assert.deepEqual(again.settings, original.settings);
});

test('telem convert --to-conf: needs a policy file, and a broken policy is refused with its errors', async () => {
  const missing = await runCli(['convert', '--to-conf']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, 'telem convert: --to-conf needs the policy file to convert\n');
  const broken = await runCli(['convert', '--to-conf', 'test/fixtures/policies/broken.policy.yaml']);
  assert.equal(broken.code, 1);
  assert.equal(broken.stdout, '');
  assert.match(broken.stderr, /broken\.policy\.yaml:12:13/);
});

test('telem validate: accepts a telemetrics.conf wherever a policy is accepted', async () => {
  const good = await runCli(['validate', legacyFixture('example.2.conf')]);
  assert.equal(good.code, 0, good.stdout);
  const bad = await runCli(['validate', legacyFixture('upstream-traps.conf')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /upstream-traps\.conf:6:20 +error +rate_limit_enabled=maybe is not a boolean/);
});

test('telem convert: refuses to write over the file it converts, which stays as it was', async (t) => {
  const dir = await tempDir(t);
  const conf = path.join(dir, 'telemetrics.conf');
  const text = '[settings]\nserver=http://127.0.0.1\n';
  await writeFile(conf, text);
  const result = await runCli(['convert', conf, '-o', conf]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, `telem convert: -o ${conf} would overwrite the file being converted; name another file\n`);
  assert.equal(await readFile(conf, 'utf8'), text);
});
