/** `telem probe NAME --print`: what a built-in probe would send, as records, from the machine's policy; and its usage errors. */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PROBE_NAMES } from '../../schemas/probes.js';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { recordFromExport } from '../../engine/simulate/input.js';
import { writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { fromRoot } from '../helpers/paths.js';

const ENV = { LC_ALL: 'C', LANG: '' };

function policyWith(heartbeat: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: probes }
collection: { probes: { heartbeat: ${heartbeat} } }
`;
}

test('telem probe heartbeat --print: one v3 record line with the host headers and the policy’s settings, nothing on stderr when the probe is on', async (t) => {
  const root = await captureLikeRoot(t);
  const policy = await writePolicy(root, policyWith('{ enabled: true, uptime: false, classification: org.example/fleet/alive, severity: 2 }'));
  const before = Math.floor(Date.now() / 1000);
  const result = await runCli(['--root', root, 'probe', 'heartbeat', '--print', '--policy', policy], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const lines = result.stdout.split('\n');
  assert.equal(lines.length, 2, 'one record and the final newline');
  assert.equal(lines[1], '');
  const record = JSON.parse(lines[0] as string) as Record<string, string>;
  assert.deepEqual(Object.keys(record), [...RECORD_HEADERS, 'payload']);
  const { event_id: eventId, creation_timestamp: created, ...rest } = record;
  assert.match(eventId ?? '', /^[0-9a-f]{32}$/);
  assert.ok(Number(created) >= before && Number(created) <= before + 60);
  assert.deepEqual(rest, {
    record_format_version: '4',
    classification: 'org.example/fleet/alive',
    severity: '2',
    machine_id: 'FFFFFFFF',
    arch: os.machine(),
    host_type: 'no_sv_file|no_pn_file|no_pvr_file',
    build: '"12"',
    kernel_version: os.release(),
    payload_format_version: '1',
    system_name: 'debian',
    board_name: 'no_bn_file|no_bv_file',
    cpu_model: 'Intel(R) Xeon(R) Processor @ 2.50GHz',
    bios_version: 'no_bv_file',
    payload: 'hello\nLC_ALL: C\n',
  });
  // The form telem simulate --records reads.
  assert.equal(recordFromExport(lines[0] as string, 'stdout:1').record.headers.classification, 'org.example/fleet/alive');
});

test('telem probe heartbeat --print: a probe the policy has off still prints, and says so on stderr; the machine policy is found under the root', async (t) => {
  const root = await captureLikeRoot(t);
  await writePolicy(root, policyWith('{ enabled: false, locale: false }'), 'etc/telemetrics/telem.policy.yaml');
  const result = await runCli(['--root', root, 'probe', 'heartbeat', '--print'], { env: ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, 'probe heartbeat is off in the policy; printing what it would send\n');
  const record = JSON.parse(result.stdout) as Record<string, string>;
  assert.equal(record.classification, 'org.clearlinux/heartbeat/ping');
  assert.match(record.payload ?? '', /^hello\nuptime: \d+\n$/);
});

test('telem probe: without --print, an unknown name, --input for the heartbeat and a bundle list that cannot be read are one line each with their exit status', async (t) => {
  const root = await captureLikeRoot(t);
  const run = (...args: string[]) => runCli(['--root', root, 'probe', ...args], { env: ENV });
  assert.deepEqual(await run('heartbeat'), {
    code: 2,
    stdout: '',
    stderr:
      'telem probe: --print is required: live probes run inside "telem run" when the policy enables them (collection.probes.heartbeat.enabled: true); ' +
      '"telem probe heartbeat --print" prints what it would send, and sends nothing\n',
  });
  assert.deepEqual(await run('hprobe', '--print'), {
    code: 2,
    stdout: '',
    stderr: 'telem probe: unknown probe "hprobe"; the probes are heartbeat, kernel, pstore, bert, crashes, journal\n',
  });
  assert.deepEqual(await run('heartbeat', '--print', '--input', '/dev/null'), {
    code: 2,
    stdout: '',
    stderr: 'telem probe: probe heartbeat reads no input; --input is for kernel, pstore, bert, crashes and journal\n',
  });
  const policy = await writePolicy(root, policyWith('{ enabled: true, bundles: true }'));
  assert.deepEqual(await run('heartbeat', '--print', '--policy', policy), {
    code: 2,
    stdout: '',
    stderr: `telem probe: cannot list the bundles in ${path.join(root, 'usr/share/clear/bundles')}: ENOENT\n`,
  });
  const invalid = await writePolicy(root, policyWith('{ enabled: yes-please }'), 'invalid.yaml');
  const bad = await run('heartbeat', '--print', '--policy', invalid);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid\.yaml:4:/);
});

test('telem probe --help: every probe with its summary, what --input is for, and examples', async () => {
  const result = await runCli(['probe', '--help']);
  assert.equal(result.code, 0);
  assert.ok(
    result.stdout.includes('\nProbes (collection.probes.NAME in the policy):\n  heartbeat  a heartbeat every `every` (24h) after a random delay up to `random_delay` (6h), payload\n'),
    result.stdout,
  );
  for (const name of PROBE_NAMES) assert.match(result.stdout, new RegExp(`\\n  ${name} +\\S`), name);
  const flowing = result.stdout.replace(/\s+/g, ' ');
  for (const input of ['a saved kernel log instead of /dev/kmsg', 'a directory of pstore entries', 'a saved BERT table', 'a core file', 'a journal file']) {
    assert.ok(flowing.includes(`--input: ${input}`), input);
  }
  assert.ok(result.stdout.includes('\nExamples:\n  telem probe heartbeat --print '));
});

test("telem probe kernel --input watchdog.txt --print: one org.clearlinux/kernel/warning record with upstream's reason line, sent nowhere", async (t) => {
  const root = await captureLikeRoot(t);
  const input = fromRoot('test', 'fixtures', 'conformance', 'kernel-oops', 'watchdog.txt');
  const result = await runCli(['--root', root, 'probe', 'kernel', '--input', input, '--print']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, 'probe kernel is off in the policy; printing what it would send\n');
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0] as string) as Record<string, string>;
  assert.equal(record.classification, 'org.clearlinux/kernel/warning');
  assert.equal(record.severity, '2');
  assert.ok(record.payload?.startsWith('Crash Report:\nReason: WARNING: at net/sched/sch_generic.c:255 dev_watchdog+0x238/0x250\n'), record.payload);
  assert.ok(record.payload?.includes('#5 dev_watchdog'));
});
