/** `telem run` start failures: the message of the engine's coded error, and the exit status the CLI gives its code. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneRoutePolicy, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('telem run: a --metrics value that is not HOST:PORT exits 2 with one line saying so', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, oneRoutePolicy({ name: 'metrics', destination: '{ type: local }' }));
  const result = await runCli(['--root', root, 'run', '--policy', policy, '--metrics', 'localhost:http']);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr, 'telem run: cannot start: the metrics address must be HOST:PORT or PORT, got "localhost:http"\n');
});

test('telem run: a policy with errors exits 1 and prints its diagnostics', async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, oneRoutePolicy({ name: 'broken', destination: '{ type: local }' }).replace('to: [central]', 'to: [nowhere]'));
  const result = await runCli(['--root', root, 'run', '--policy', policy]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /routes\[0\]\.to\[0\]\s+\(unknown-destination\)/);
});
