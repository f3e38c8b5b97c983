import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/intake.js';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

/** `telem dev` in a child process, once it says it runs. */
async function startDev(t: TestContext, dir: string) {
  const child = spawn(process.execPath, [cliEntry, 'dev', '--dir', dir, '--listen', '127.0.0.1:0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await waitUntil(() => stdout.includes('Ctrl-C stops both.'), 15_000, 'telem dev to start');
  return { child, exited, stdout: () => stdout };
}

test('telem dev (npm start): a record sent with telem record shows up in the collector and the NDJSON file', async (t) => {
  const dir = await tempDir(t);
  const { child, exited, stdout: output } = await startDev(t, dir);
  let stdout = output();
  const ui = /web UI: +(http:\/\/\S+)/.exec(stdout)?.[1] as string;
  assert.match(ui, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(stdout, new RegExp(`npx telem --root .* record -c org\\.example/demo/hello -p "hello from telem"`));

  const sent = await runCli(['--root', dir, 'record', '-c', 'org.example/demo/hello', '-p', 'hello from telem']);
  assert.equal(sent.code, 0, sent.stderr);
  let stored: { records: { classification: string; payload: string; cpu_model: string }[] } = { records: [] };
  for (let attempt = 0; attempt < 50 && stored.records.length === 0; attempt += 1) {
    stored = (await (await fetch(new URL('api/records', ui))).json()) as typeof stored;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(stored.records[0]?.payload, 'hello from telem');
  assert.equal(stored.records[0]?.classification, 'org.example/demo/hello');
  const lines = (await readFile(path.join(dir, 'var/log/telemetry/records.ndjson'), 'utf8')).trim().split('\n');
  assert.equal((JSON.parse(lines[0] ?? '{}') as { payload: string }).payload, 'hello from telem');

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  stdout = output();
  assert.match(stdout, /telem dev: stopped\n$/);
});

test('telem dev: an address in use is a usage error that says what to do', async (t) => {
  const dir = await tempDir(t);
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const result = await runCli(['dev', '--dir', dir, '--listen', `127.0.0.1:${port}`]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, `telem dev: 127.0.0.1:${port} is in use; pick another with --listen 127.0.0.1:PORT\n`);
});

test('telem dev: an address beyond loopback is refused before listening, since its web UI needs no login', async (t) => {
  const dir = await tempDir(t);
  const result = await runCli(['dev', '--dir', dir, '--listen', '0.0.0.0:0']);
  assert.deepEqual(
    [result.code, result.stdout, result.stderr],
    [
      2,
      '',
      'telem dev: 0.0.0.0:0 is not a loopback address, and telem dev serves the web UI without login; listen on this machine only (--listen 127.0.0.1:PORT), or run telem collector with API tokens to serve a network\n',
    ],
  );
});

test("telem dev: a second one on the same directory exits 2 and leaves the running stack's policy as it was", async (t) => {
  const dir = await tempDir(t);
  const { child, exited } = await startDev(t, dir);
  const policyFile = path.join(dir, 'etc', 'telemetrics', 'telem.policy.yaml');
  const policy = await readFile(policyFile, 'utf8');

  const second = await runCli(['dev', '--dir', dir, '--listen', '127.0.0.1:0']);
  assert.equal(second.code, 2);
  assert.match(second.stderr, /^telem dev: the spool .*\/var\/spool\/telemetry is in use by another telem process \(held by pid \d+\)\n$/);
  assert.equal(await readFile(policyFile, 'utf8'), policy, 'the running stack keeps its collector URL');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
