import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startIntake } from '../helpers/intake.js';

test('telem hprobe: sends org.clearlinux/hello/world with "hello\\n" and says so', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  assert.deepEqual(await runCli(['--root', root, 'hprobe']), { code: 0, stdout: 'Successfully sent record to daemon.\n', stderr: '' });
  const [accepted] = sink.records;
  assert.equal(accepted?.record.headers.classification, 'org.clearlinux/hello/world');
  assert.equal(accepted?.record.headers.severity, '1');
  assert.equal(accepted?.record.headers.payload_format_version, '1');
  assert.equal(accepted?.record.payload.toString(), 'hello\n');
});

test("telem hprobe -Hlu: heartbeat classification, locale and uptime lines as upstream's timer sends them", async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const result = await runCli(['--root', root, 'hprobe', '-Hlu'], { env: { LC_ALL: '', LANG: '' } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(sink.records[0]?.record.headers.classification, 'org.clearlinux/heartbeat/ping');
  assert.match(sink.records[0]!.record.payload.toString(), /^hello\nLC_ALL: C\nuptime: \d+\n$/);
});

test('telem hprobe -b: the sorted bundle list without dot-files; a list over 8192 bytes ends with "..." after a whole name', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const bundles = path.join(root, 'usr/share/clear/bundles');
  for (const name of ['os-core', 'editors', '.MoM', 'bootloader']) await mkdir(path.join(bundles, name), { recursive: true });
  assert.equal((await runCli(['--root', root, 'hprobe', '-b'])).code, 0);
  assert.equal(sink.records[0]?.record.payload.toString(), 'hello\n\nBundles (3):\nbootloader\neditors\nos-core\n');

  for (let index = 0; index < 400; index++) await mkdir(path.join(bundles, `bundle-with-a-long-name-${String(index).padStart(3, '0')}`));
  assert.equal((await runCli(['--root', root, 'hprobe', '-b'])).code, 0);
  const payload = sink.records[1]!.record.payload.toString();
  assert.ok(Buffer.byteLength(payload) <= 8192);
  assert.ok(payload.startsWith('hello\n\nBundles (403):\nbootloader\n'));
  assert.match(payload, /\nbundle-with-a-long-name-\d{3}\n\.\.\.\n$/);
});

test('telem hprobe -b: a missing bundle directory is an error, exit 1, nothing sent', async (t) => {
  const { sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const result = await runCli(['--root', root, 'hprobe', '-b']);
  assert.deepEqual(result, { code: 1, stdout: '', stderr: `Error: cannot list the bundles in ${root}/usr/share/clear/bundles: ENOENT\n` });
  assert.equal(sink.records.length, 0);
});
