import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { compiledDefaults } from '../../engine/legacy/keys.js';
import { ETC_CONF, SHARE_CONF, findTelemetricsConf, loadTelemetricsConf } from '../../engine/legacy/search.js';
import { tempDir } from '../helpers/tmp.js';

async function place(root: string, systemPath: string, text: string): Promise<string> {
  const file = path.join(root, systemPath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

test('search order: /etc/telemetrics/telemetrics.conf under the root comes first', async (t) => {
  const root = await tempDir(t);
  const etc = await place(root, ETC_CONF, '[settings]\nserver=http://etc.example\n');
  await place(root, SHARE_CONF, '[settings]\nserver=http://share.example\n');
  const found = await findTelemetricsConf({ root });
  assert.deepEqual(found, { file: etc, origin: 'etc', searched: [etc, path.join(root, SHARE_CONF)] });
});

test('search order: without an /etc file, /usr/share/defaults/telemetrics/telemetrics.conf is used', async (t) => {
  const root = await tempDir(t);
  const share = await place(root, SHARE_CONF, '[settings]\nserver=http://share.example\n');
  const loaded = await loadTelemetricsConf({ root });
  assert.equal(loaded.found.origin, 'share');
  assert.equal(loaded.found.file, share);
  assert.equal(loaded.translation?.settings.server, 'http://share.example');
});

test('search order: with neither file, the compiled defaults apply', async (t) => {
  const root = await tempDir(t);
  const loaded = await loadTelemetricsConf({ root });
  assert.equal(loaded.found.origin, 'compiled-defaults');
  assert.equal(loaded.found.file, null);
  assert.deepEqual(loaded.translation?.settings, compiledDefaults());
  assert.deepEqual(loaded.translation?.diagnostics, []);
});

test('search order: a named file wins over both system files, and the search stops there', async (t) => {
  const root = await tempDir(t);
  await place(root, ETC_CONF, '[settings]\nserver=http://etc.example\n');
  const named = await place(root, 'mine.conf', '[settings]\nspool_dir=/srv/spool\n');
  const loaded = await loadTelemetricsConf({ root, file: named });
  assert.equal(loaded.found.origin, 'explicit');
  assert.equal(loaded.translation?.settings.spool_dir, '/srv/spool');
  assert.equal(loaded.translation?.settings.server, compiledDefaults().server, 'no layering: /etc is not read');
});

test("search order: no layering between files, a key missing from /etc takes the compiled default, not /usr/share's", async (t) => {
  const root = await tempDir(t);
  await place(root, ETC_CONF, '[settings]\nserver=http://etc.example\n');
  await place(root, SHARE_CONF, '[settings]\nspool_dir=/from/share\n');
  const loaded = await loadTelemetricsConf({ root });
  assert.equal(loaded.translation?.settings.server, 'http://etc.example');
  assert.equal(loaded.translation?.settings.spool_dir, '/var/spool/telemetry');
});

/** The conf findTelemetricsConf picks under `root`, searched by a process that is not root (root can read any file). */
async function foundByUnprivileged(root: string): Promise<string | null> {
  if (process.getuid?.() !== 0) return (await findTelemetricsConf({ root })).file;
  const NOBODY = 65534;
  const module = pathToFileURL(fileURLToPath(new URL('../../engine/legacy/search.js', import.meta.url))).href;
  const script = `const { findTelemetricsConf } = await import(${JSON.stringify(module)}); process.stdout.write(JSON.stringify((await findTelemetricsConf({ root: ${JSON.stringify(root)} })).file));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { uid: NOBODY, gid: NOBODY });
  return JSON.parse(stdout) as string | null;
}

test("search order: an /etc file that cannot be read is skipped, as upstream's access(R_OK) does", async (t) => {
  const root = await tempDir(t);
  await chmod(root, 0o755);
  const etc = await place(root, ETC_CONF, '[settings]\nserver=http://etc.example\n');
  await chmod(etc, 0o000);
  const share = await place(root, SHARE_CONF, '[settings]\n');
  assert.equal(await foundByUnprivileged(root), share);
  await chmod(etc, 0o644);
  assert.equal(await foundByUnprivileged(root), etc, 'once readable, the /etc file is found');
});

test('search order: a named file that does not exist is a clear error, nothing else is read', async (t) => {
  const root = await tempDir(t);
  await place(root, ETC_CONF, '[settings]\n');
  const loaded = await loadTelemetricsConf({ root, file: path.join(root, 'missing.conf') });
  assert.equal(loaded.translation, null);
  assert.deepEqual(
    loaded.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.message]),
    [['file-unreadable', 'cannot read telemetrics.conf: no such file']],
  );
});

test('search order: a named directory is refused', async (t) => {
  const root = await tempDir(t);
  const loaded = await loadTelemetricsConf({ root, file: root });
  assert.deepEqual(
    loaded.diagnostics.map((diagnostic) => diagnostic.message),
    ['cannot read telemetrics.conf: not a regular file'],
  );
});
