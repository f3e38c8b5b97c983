import assert from 'node:assert/strict';
import { access, constants, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startIntake } from '../helpers/intake.js';
import { fromRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const bin = (name: string): string => fromRoot('dist', 'cli', 'compat', `${name}.js`);

test('package.json: telemctl, telem-record-gen and hprobe are installed as executables', async () => {
  const manifest = JSON.parse(await readFile(fromRoot('package.json'), 'utf8')) as { bin: Record<string, string> };
  for (const name of ['telemctl', 'telem-record-gen', 'hprobe']) {
    assert.equal(manifest.bin[name], `dist/cli/compat/${name}.js`);
    await access(fromRoot(manifest.bin[name]!), constants.X_OK);
  }
});

test("telemctl opt-in / opt-out / is-active: upstream's commands and output, paths under TELEM_ROOT", async (t) => {
  const { root } = await startIntake(t);
  const env = { TELEM_ROOT: root };
  assert.equal((await runCli(['opt-in'], { entry: bin('telemctl'), env })).code, 0);
  assert.deepEqual(await runCli(['opt-in'], { entry: bin('telemctl'), env }), { code: 0, stdout: '', stderr: 'Already opted in. Nothing to do.\n' });
  assert.deepEqual(await runCli(['is-active'], { entry: bin('telemctl'), env }), { code: 0, stdout: 'telemprobd : active\ntelempostd : active\n', stderr: '' });
  assert.equal((await runCli(['opt-out'], { entry: bin('telemctl'), env })).code, 0);
  const idle = await tempDir(t);
  assert.deepEqual(await runCli(['is-active'], { entry: bin('telemctl'), env: { TELEM_ROOT: idle } }), {
    code: 0,
    stdout: 'telemprobd : inactive\ntelempostd : inactive\n',
    stderr: '',
  });
});

test('telemctl: no command, an unknown command or extra arguments are usage errors (exit 2)', async () => {
  const none = await runCli([], { entry: bin('telemctl') });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: telemctl COMMAND/);
  const unknown = await runCli(['frobnicate'], { entry: bin('telemctl') });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^Unknown command passed to telemctl\nUsage: telemctl COMMAND/);
  assert.equal((await runCli(['opt-in', 'now'], { entry: bin('telemctl') })).code, 2);
});

test('telemctl start: refuses without opt-in as upstream, and otherwise points to the service manager (exit 1)', async (t) => {
  const root = await tempDir(t);
  assert.deepEqual(await runCli(['start'], { entry: bin('telemctl'), env: { TELEM_ROOT: root } }), { code: 1, stdout: '', stderr: 'Opt in to telemetry first.\n' });
  await captureLikeRoot(t, { root });
  const result = await runCli(['start'], { entry: bin('telemctl'), env: { TELEM_ROOT: root } });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /managed by its service manager/);
});

test('hprobe and telem-record-gen: the upstream names send records through TELEM_ROOT', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const env = { TELEM_ROOT: root };
  assert.deepEqual(await runCli(['-H'], { entry: bin('hprobe'), env }), { code: 0, stdout: 'Successfully sent record to daemon.\n', stderr: '' });
  assert.deepEqual(await runCli(['-c', 'org.example/probe/test', '-p', 'hello'], { entry: bin('telem-record-gen'), env }), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(sink.records.map((accepted) => [accepted.record.headers.classification, accepted.record.payload.toString()]).sort(), [
    ['org.clearlinux/heartbeat/ping', 'hello\n'],
    ['org.example/probe/test', 'hello'],
  ]);
  const version = await runCli(['-V'], { entry: bin('telem-record-gen') });
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
