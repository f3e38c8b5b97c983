import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { loadAgentPolicy } from '../../engine/load/agent-policy.js';
import { tempDir } from '../helpers/tmp.js';

const policyYaml = (name: string) => `apiVersion: telem/v1\nkind: Policy\nmetadata: { name: ${name} }\n`;

async function put(root: string, file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

test('agent policy search: with nothing under the root it runs on upstream compiled defaults', async (t) => {
  const root = await tempDir(t);
  const found = await loadAgentPolicy({ root });
  assert.equal(found.origin, 'compiled-defaults');
  assert.equal(found.policy?.intake.socket, '/run/telem-0');
  assert.equal(found.watchPath, null);
});

test('agent policy search: /usr/share/defaults telemetrics.conf, then /etc telemetrics.conf, then /etc telem.policy win in turn', async (t) => {
  const root = await tempDir(t);
  await put(root, 'usr/share/defaults/telemetrics/telemetrics.conf', '[settings]\nspool_dir=/var/spool/share\n');
  assert.equal((await loadAgentPolicy({ root })).policy?.spool.dir, '/var/spool/share');
  await put(root, 'etc/telemetrics/telemetrics.conf', '[settings]\nspool_dir=/var/spool/etc\n');
  const conf = await loadAgentPolicy({ root });
  assert.equal(conf.origin, 'etc-conf');
  assert.equal(conf.policy?.spool.dir, '/var/spool/etc');
  await put(root, 'etc/telemetrics/telem.policy.yaml', policyYaml('etc-policy'));
  const policy = await loadAgentPolicy({ root });
  assert.equal(policy.origin, 'etc-policy');
  assert.equal(policy.policy?.metadata.name, 'etc-policy');
  assert.equal(policy.watchPath, path.join(root, 'etc/telemetrics/telem.policy.yaml'));
});

test('agent policy search: an explicit --policy path is used as given, not under the root', async (t) => {
  const root = await tempDir(t);
  const elsewhere = await tempDir(t);
  await put(root, 'etc/telemetrics/telem.policy.yaml', policyYaml('rooted'));
  await writeFile(path.join(elsewhere, 'mine.yaml'), policyYaml('explicit'));
  const found = await loadAgentPolicy({ root, policy: path.join(elsewhere, 'mine.yaml') });
  assert.equal(found.origin, 'explicit');
  assert.equal(found.policy?.metadata.name, 'explicit');
});

test('agent policy search: a broken /etc policy is an error, not a silent fall back to the conf', async (t) => {
  const root = await tempDir(t);
  await put(root, 'etc/telemetrics/telem.policy.yaml', 'apiVersion: telem/v1\nkind: Policy\n');
  await put(root, 'etc/telemetrics/telemetrics.conf', '[settings]\n');
  const found = await loadAgentPolicy({ root });
  assert.equal(found.policy, null);
  assert.equal(found.diagnostics[0]?.code, 'schema-missing-key');
});

test('agent policy search: an /etc telemetrics.conf whose server is …/v2/collector runs with protocol v2', async (t) => {
  const root = await tempDir(t);
  await put(root, 'etc/telemetrics/telemetrics.conf', '[settings]\nserver=http://backend.example/v2/collector\n');
  const found = await loadAgentPolicy({ root });
  assert.equal(found.origin, 'etc-conf');
  const destination = found.policy?.destinations.collector;
  assert.equal(destination?.type === 'http' && destination.protocol, 'v2');
  assert.deepEqual(found.diagnostics, []);
});

test('agent policy search: an /etc telemetrics.conf with record_expiry=abc does not run, with the error at its line', async (t) => {
  const root = await tempDir(t);
  await put(root, 'etc/telemetrics/telemetrics.conf', '[settings]\nrecord_expiry=abc\n');
  const found = await loadAgentPolicy({ root });
  assert.equal(found.policy, null);
  assert.deepEqual(
    found.diagnostics.map((d) => `${path.relative(root, d.file ?? '')}:${d.line} ${d.severity} ${d.code}`),
    ['etc/telemetrics/telemetrics.conf:2 error legacy-not-a-number'],
  );
});
