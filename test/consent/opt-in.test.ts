import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ConsentGate, isOptedIn, optIn, optOut } from '../../engine/consent/opt-in.js';
import { tempDir } from '../helpers/tmp.js';

test('optIn: creates /etc/telemetrics/opt-in under the root with mode 0644; a second call changes nothing', async (t) => {
  const root = await tempDir(t);
  assert.equal(await isOptedIn({ root }), false);
  assert.equal(await optIn({ root }), 'opted-in');
  const marker = path.join(root, 'etc/telemetrics/opt-in');
  assert.equal((await stat(marker)).mode & 0o777, 0o644);
  assert.equal(await isOptedIn({ root }), true);
  assert.equal(await optIn({ root }), 'already-opted-in');
});

test('optOut: removes the marker and the machine id; a second call says already opted out', async (t) => {
  const root = await tempDir(t);
  await optIn({ root });
  await mkdir(path.join(root, 'var/lib/telemetry'), { recursive: true });
  await writeFile(path.join(root, 'var/lib/telemetry/machine_id'), '0123456789abcdef0123456789abcdef');
  assert.equal(await optOut({ root }), 'opted-out');
  assert.equal(await isOptedIn({ root }), false);
  await assert.rejects(stat(path.join(root, 'var/lib/telemetry/machine_id')), { code: 'ENOENT' });
  assert.equal(await optOut({ root }), 'already-opted-out');
});

test('isOptedIn: any kind of file counts, as upstream stat() does', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.join(root, 'etc/telemetrics/opt-in'), { recursive: true });
  assert.equal(await isOptedIn({ root }), true);
});

test('ConsentGate: an opt-out is seen once the cached answer is older than maxAgeMs', async (t) => {
  const root = await tempDir(t);
  await optIn({ root });
  const gate = new ConsentGate({ root, maxAgeMs: 20 });
  assert.equal(gate.isOptedIn(), true);
  await optOut({ root });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(gate.isOptedIn(), false);
});
