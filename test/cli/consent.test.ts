import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { policyHash } from '../../engine/agent/applied-policy.js';
import { loadAgentPolicy } from '../../engine/load/agent-policy.js';
import { runCli } from '../helpers/cli.js';
import { startIntake } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';

test('telem opt-in / opt-out: create and remove the marker under --root, with upstream\'s "nothing to do" messages', async (t) => {
  const root = await tempDir(t);
  const marker = path.join(root, 'etc/telemetrics/opt-in');
  assert.deepEqual(await runCli(['--root', root, 'opt-in']), { code: 0, stdout: `Opted in to telemetry (${marker}).\n`, stderr: '' });
  assert.deepEqual(await runCli(['--root', root, 'opt-in']), { code: 0, stdout: '', stderr: 'Already opted in. Nothing to do.\n' });
  assert.deepEqual(await runCli(['--root', root, 'opt-out']), {
    code: 0,
    stdout: 'Opted out of telemetry: probes refuse new records and the machine id was removed.\n',
    stderr: '',
  });
  assert.deepEqual(await runCli(['--root', root, 'opt-out']), { code: 0, stdout: '', stderr: 'Already opted out. Nothing to do.\n' });
});

test('telem opt-in: a marker that cannot be created is an error, exit 1', async (t) => {
  const root = await tempDir(t);
  // /etc/telemetrics is a file here, so the marker cannot be created below it.
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics'), '');
  const result = await runCli(['--root', root, 'opt-in']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^Error: could not create .*\/etc\/telemetrics\/opt-in: (EEXIST|ENOTDIR)\n$/);
});

test('telem status: shows opt-in, machine id and whether the agent listens (text and JSON)', async (t) => {
  const { root, socketPath } = await startIntake(t);
  const defaults = (await loadAgentPolicy({ root })).policy;
  assert.ok(defaults);
  const DEFAULTS_HASH = policyHash(defaults);
  let result = await runCli(['--root', root, 'status']);
  assert.equal(result.code, 0);
  assert.equal(
    result.stdout,
    [
      `opt-in:     no (${root}/etc/telemetrics/opt-in is missing; run "telem opt-in")`,
      'machine id: none yet (the agent assigns one at its first record; rotated every 3d)',
      `agent:      listening on ${socketPath} (no telem agent status: an upstream telemprobd?)`,
      `policy:     telemetrics-conf revision 0, upstream's compiled defaults (no telemetrics.conf was found), sha256 ${DEFAULTS_HASH.slice(0, 12)}; what a start would run`,
      'drops:      none',
      'refused:    none',
      '',
    ].join('\n'),
  );
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics/opt-in-static-machine-id'), 'fleet-machine-7\n');
  result = await runCli(['--root', root, 'status', '--format', 'json']);
  const report = JSON.parse(result.stdout) as { machineId: { id: string; source: string }; agent: { listening: boolean } };
  assert.deepEqual([report.machineId.id, report.machineId.source, report.agent.listening], ['fleet-machine-7', 'static', true]);
});
