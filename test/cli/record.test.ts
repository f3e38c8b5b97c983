import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { NOT_OPTED_IN_MESSAGE } from '../../engine/consent/files.js';
import { emptyRejectCounters } from '../../engine/intake/stats.js';
import { runCli } from '../helpers/cli.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startIntake, TEST_MACHINE_ID } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';

test("telem record -c a/b -p x: upstream's message, exit 1", async (t) => {
  const root = await captureLikeRoot(t);
  const result = await runCli(['--root', root, 'record', '-c', 'a/b', '-p', 'x']);
  assert.deepEqual(result, { code: 1, stdout: '', stderr: "Error: Classification needs to be in most/to/least specific format, 2 '/' required.\n" });
});

test('telem record: without opt-in, the opt-in message and exit 1; nothing reaches the agent', async (t) => {
  const { server, sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root, optedIn: false });
  const result = await runCli(['--root', root, 'record', '-c', 'a/b/c', '-p', 'x']);
  assert.deepEqual(result, { code: 1, stdout: '', stderr: `${NOT_OPTED_IN_MESSAGE}\n` });
  await new Promise((resolve) => setTimeout(resolve, 50));
  // No connection at all: any would show as accepted, under one of the reject reasons, or as active or waiting.
  assert.deepEqual(server.stats(), { accepted: 0, rejected: emptyRejectCounters(), active: 0, waiting: 0 });
  assert.deepEqual(sink.records, []);
});

test("telem record: a record sent to the agent has the host's full headers, the options and the payload", async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const result = await runCli(['--root', root, 'record', '-c', 'org.example/probe/test', '-s', '3', '-R', '7', '-e', '0123456789abcdef0123456789abcdef', '-p', 'hello']);
  assert.deepEqual(result, { code: 0, stdout: '', stderr: '' });
  const [accepted] = sink.records;
  assert.deepEqual(
    { ...accepted!.record.headers, creation_timestamp: 'now', arch: 'arch', kernel_version: 'kernel' },
    {
      record_format_version: '4',
      classification: 'org.example/probe/test',
      severity: '3',
      machine_id: TEST_MACHINE_ID,
      creation_timestamp: 'now',
      arch: 'arch',
      host_type: 'no_sv_file|no_pn_file|no_pvr_file',
      build: '"12"',
      kernel_version: 'kernel',
      payload_format_version: '7',
      system_name: 'debian',
      board_name: 'no_bn_file|no_bv_file',
      cpu_model: 'Intel(R) Xeon(R) Processor @ 2.50GHz',
      bios_version: 'no_bv_file',
      event_id: '0123456789abcdef0123456789abcdef',
    },
  );
  assert.equal(accepted!.record.payload.toString(), 'hello');
});

test('telem record: 8192 bytes from --payload-file are sent whole; 8193 bytes are refused with a message, not cut', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const full = path.join(root, 'full.txt');
  const over = path.join(root, 'over.txt');
  await writeFile(full, 'a'.repeat(8192));
  await writeFile(over, 'a'.repeat(8193));
  assert.equal((await runCli(['--root', root, 'record', '-c', 'a/b/c', '-P', full])).code, 0);
  assert.equal(sink.records[0]?.record.payload.length, 8192);
  assert.deepEqual(await runCli(['--root', root, 'record', '-c', 'a/b/c', '-P', over]), {
    code: 1,
    stdout: '',
    stderr: 'Error: payload is 8193 bytes; the limit is 8192 bytes\n',
  });
  assert.equal(sink.records.length, 1);
});

test('telem record: the payload from standard input, with the same 8192-byte limit', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  assert.equal((await runCli(['--root', root, 'record', '-c', 'a/b/c'], { input: 'from stdin\n' })).code, 0);
  assert.equal(sink.records[0]?.record.payload.toString(), 'from stdin\n');
  const tooLong = await runCli(['--root', root, 'record', '-c', 'a/b/c'], { input: 'b'.repeat(20_000) });
  assert.deepEqual(tooLong, { code: 1, stdout: '', stderr: 'Error: payload is 20000 bytes; the limit is 8192 bytes\n' });
});

test("telem record: a missing --payload-file gives upstream's message", async (t) => {
  const root = await captureLikeRoot(t);
  const result = await runCli(['--root', root, 'record', '-c', 'a/b/c', '-P', '/nonexistent/payload']);
  assert.deepEqual(result, { code: 1, stdout: '', stderr: 'Error: file /nonexistent/payload could not be opened for reading\n' });
});

test('telem record -f: an existing absolute file travels as the CFG field; a relative or missing one is refused', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const conf = path.join(root, 'alt.conf');
  await writeFile(conf, '[settings]\nserver=http://127.0.0.1/v3/alt-collector\n');
  assert.equal((await runCli(['--root', root, 'record', '-f', conf, '-c', 'a/b/c', '-p', 'x'])).code, 0);
  assert.equal(sink.records[0]?.configPath, conf);
  for (const bad of ['alt.conf', path.join(root, 'missing.conf'), root]) {
    assert.deepEqual(await runCli(['--root', root, 'record', '-f', bad, '-c', 'a/b/c', '-p', 'x']), {
      code: 1,
      stdout: '',
      stderr: 'Configuration file path not valid\n',
    });
  }
});

test('telem record -o: prints exactly the record that is sent (same event id)', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const result = await runCli(['--root', root, 'record', '-o', '-c', 'a/b/c', '-p', 'shown']);
  assert.equal(result.code, 0);
  const eventId = /^event_id: (.*)$/m.exec(result.stdout)?.[1];
  assert.equal(sink.records[0]?.record.headers.event_id, eventId);
  assert.ok(result.stdout.startsWith('record_format_version: 4\nclassification: a/b/c\nseverity: 1\nmachine_id: FFFFFFFF\n'));
  assert.ok(result.stdout.endsWith('\nshown\n'));
});

test('telem record: an unknown option is a usage error (exit 2), not ignored as upstream did', async (t) => {
  const root = await captureLikeRoot(t);
  const result = await runCli(['--root', root, 'record', '-c', 'a/b/c', '-p', 'x', '--bogus']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: unknown option '--bogus'/);
});

test('telem record: the agent not running is a clear error, exit 1', async (t) => {
  const root = await captureLikeRoot(t);
  const result = await runCli(['--root', root, 'record', '-c', 'a/b/c', '-p', 'x']);
  assert.deepEqual(result, {
    code: 1,
    stdout: '',
    stderr: `Error: could not send the record to ${root}/run/telem-0: ENOENT (is the telem agent running?)\n`,
  });
});

test("telem record: the socket of the machine's policy (/etc/telemetrics/telem.policy.yaml) is used", async (t) => {
  const root = await tempDir(t);
  const { sink } = await startIntake(t, { socketPath: path.join(root, 'run/custom.sock') });
  await captureLikeRoot(t, { root });
  await writeFile(path.join(root, 'etc/telemetrics/telem.policy.yaml'), 'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: probe-test }\nintake: { socket: /run/custom.sock }\n');
  assert.deepEqual(await runCli(['--root', root, 'record', '-c', 'a/b/c', '-p', 'via policy']), { code: 0, stdout: '', stderr: '' });
  assert.equal(sink.records[0]?.record.payload.toString(), 'via policy');
});

test('telem record: an invalid machine policy is reported on stderr and the default socket is used', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  await writeFile(path.join(root, 'etc/telemetrics/telem.policy.yaml'), 'apiVersion: telem/v1\nkind: Policy\nmetadata: { name: broken }\nintake: { mode: 777x }\n');
  const result = await runCli(['--root', root, 'record', '-c', 'a/b/c', '-p', 'x']);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /^record: warning: the machine's policy cannot be used \(.*telem\.policy\.yaml: .*\); sending to .*\/run\/telem-0\n$/);
  assert.equal(sink.records.length, 1);
});
