/**
 * telemetrics.conf as the agent finds it under /etc/telemetrics: random bytes and damaged
 * settings through the agent's policy search never throw, and the real `telem run` either starts
 * or exits with a plain message and a usage/invalid status, never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { compilePolicy } from '../../engine/compile/compile.js';
import { LEGACY_KEY_NAMES } from '../../engine/legacy/keys.js';
import { loadAgentPolicy } from '../../engine/load/agent-policy.js';
import { cliEntry, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { fuzzRuns } from './fuzz-settings.js';

const value = fc.oneof(
  fc.constantFrom('', '0', '-1', '1', 'true', 'maybe', '99999999999999999999', 'spool', 'drop', 'http://127.0.0.1:9/', 'https://', 'X-Telemetry-TID: abc'),
  // Paths the agent will use for its socket and spool: nested, through a file, relative, odd.
  fc.constantFrom('/run/telem-x', '/', '.', '..', '../../escape', '/etc/telemetrics/telemetrics.conf/sock', '/dev/null/x', `/${'d'.repeat(300)}/s`, '/tmp/a b'),
  fc.string({ maxLength: 20 }),
);
const line = fc.oneof(
  fc.tuple(fc.constantFrom(...LEGACY_KEY_NAMES), value).map(([key, text]) => `${key}=${text}`),
  fc.constantFrom('[settings]', '[other]', '# comment', '', '=', 'no equals', '\r', '\u0000'),
);
const confBytes = fc.oneof(
  fc.array(line, { maxLength: 12 }).map((lines) => Buffer.from(['[settings]', ...lines].join('\n'))),
  fc.array(line, { maxLength: 12 }).map((lines) => Buffer.from(`\uFEFF[settings]\r\n${lines.join('\r\n')}`)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from('[settings]\n'), Buffer.from(bytes)])),
);

async function writeConf(root: string, bytes: Buffer): Promise<string> {
  const file = path.join(root, 'etc/telemetrics/telemetrics.conf');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}

test("conf fuzz: random telemetrics.conf bytes through the agent's policy search never throw; what loads compiles, the rest has errors pointing into the file", async (t) => {
  const base = await tempDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(confBytes, async (bytes) => {
      const root = path.join(base, String((run += 1)));
      const file = await writeConf(root, bytes);
      const loaded = await loadAgentPolicy({ root, cwd: root });
      assert.equal(loaded.origin, 'etc-conf');
      for (const diagnostic of loaded.diagnostics) assert.ok(diagnostic.message.trim().length > 0 && diagnostic.code.length > 0);
      if (loaded.policy) compilePolicy(loaded.policy);
      else {
        const errors = loaded.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
        assert.ok(errors.length > 0);
        assert.ok(
          errors.every((diagnostic) => diagnostic.file === undefined || path.resolve(root, diagnostic.file) === file),
          JSON.stringify(errors),
        );
      }
      await rm(root, { recursive: true, force: true });
    }),
    fuzzRuns('conf search', 150),
  );
});

/** Runs `telem run` until it is ready (then stops it) or exits by itself. */
function runAgent(root: string): Promise<{ code: number | null; ready: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliEntry, '--root', root, 'run'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let ready = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (!ready && stderr.includes('"msg":"agent ready"')) {
        ready = true;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ready, stderr });
    });
  });
}

test('conf fuzz: the real agent on damaged telemetrics.conf files starts, or exits 1 or 2 with a message and no stack trace', { timeout: 60_000 }, async (t) => {
  const samples = [
    ...fc.sample(confBytes, fuzzRuns('telem run on conf', 6)),
    // Paths that cannot be used: the socket's directory is a file; the spool directory is a file.
    Buffer.from('[settings]\nsocket_path=/etc/telemetrics/telemetrics.conf/sock\n'),
    Buffer.from('[settings]\nspool_dir=/etc/telemetrics/telemetrics.conf\n'),
  ];
  for (const [index, bytes] of samples.entries()) {
    const root = await tempDir(t);
    await writeConf(root, bytes);
    const result = await runAgent(root);
    const what = `sample ${index}: ${JSON.stringify(bytes.toString('utf8').slice(0, 200))}\n${result.stderr.slice(0, 2000)}`;
    if (result.ready) {
      assert.equal(result.code, 0, what);
      continue;
    }
    assert.ok(result.code === 1 || result.code === 2, `exit ${result.code}; ${what}`);
    assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `a stack trace; ${what}`);
    assert.ok(result.stderr.trim().length > 0, `a message; ${what}`);
  }
});
