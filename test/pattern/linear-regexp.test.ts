import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REDACTION_FLAGS, compileRedaction, tryCompileRedaction } from '../../engine/pattern/linear-regexp.js';
import { fromRoot } from '../helpers/paths.js';

/** 32 a's and a b: a backtracking engine tries about 2^32 ways to split the a's for (a+)+$. */
const CATASTROPHIC_INPUT = `${'a'.repeat(32)}b`;

/**
 * Runs `script` (an ES module body) in a child Node and returns its stdout, or fails after
 * `timeoutMs`: a backtracking regexp blocks its thread for good, so it must not be this one.
 */
function runIsolated(t: TestContext, script: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms: the pattern backtracks`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`exit ${code}: ${stderr}`));
    });
  });
}

const moduleUrl = (file: string) => JSON.stringify(pathToFileURL(fromRoot('dist', 'engine', file)).href);

test('redaction regexp: compiled global, on the usual engine with the linear-time fallback', () => {
  assert.equal(REDACTION_FLAGS, 'g');
  assert.equal(compileRedaction('secret').flags, 'g');
  assert.deepEqual(tryCompileRedaction('[0-9a-f]{32}').ok, true, 'JavaScript syntax the linear engine lacks still runs');
});

test("redaction regexp: (a+)+$ against 32 a's and a b answers at once instead of backtracking for hours", async (t) => {
  const output = await runIsolated(
    t,
    `import { compileRedaction } from ${moduleUrl('pattern/linear-regexp.js')};
     const started = performance.now();
     const result = ${JSON.stringify(CATASTROPHIC_INPUT)}.replace(compileRedaction('(a+)+$'), '<x>');
     process.stdout.write(JSON.stringify({ result, ms: performance.now() - started }));`,
    10_000,
  );
  const { result, ms } = JSON.parse(output) as { result: string; ms: number };
  assert.equal(result, CATASTROPHIC_INPUT, "no match: the a's are followed by a b, not the end");
  assert.ok(ms < 1000, `${ms} ms`);
});

test('redaction regexp: the router redacts with it, so a catastrophic rule cannot pin the agent', async (t) => {
  const output = await runIsolated(
    t,
    `import { compilePolicy } from ${moduleUrl('compile/compile.js')};
     import { Router } from ${moduleUrl('route/router.js')};
     import { validatePolicyValue } from ${moduleUrl('validate/validate.js')};
     const { policy } = validatePolicyValue({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'r' },
       collection: { redact: [{ pattern: '(a+)+$' }] }, destinations: { d: { type: 'local' } }, routes: [{ name: 'all', to: ['d'] }] });
     const router = new Router(compilePolicy(policy));
     const headers = { classification: 'a/b/c', severity: '1' };
     const payloads = [${JSON.stringify(CATASTROPHIC_INPUT)}, 'xaaa'].map((text) => router.decide({ headers, payload: Buffer.from(text) }).record.payload.toString());
     process.stdout.write(JSON.stringify(payloads));`,
    10_000,
  );
  assert.deepEqual(JSON.parse(output), [CATASTROPHIC_INPUT, 'x<redacted>']);
});

test('redaction regexp: replacements keep $1 group references and replace every match', () => {
  assert.equal('id=1 id=22'.replace(compileRedaction('id=(\\d+)'), 'id=<$1>'), 'id=<1> id=<22>');
});

test('redaction regexp: a syntax error and a pattern that could backtrack without a linear fallback are told apart', () => {
  assert.deepEqual(tryCompileRedaction('(\\d+'), { ok: false, reason: 'syntax', message: '/(\\d+/g: Unterminated group' });
  assert.deepEqual(tryCompileRedaction('((a+)+)\\1'), { ok: false, reason: 'unbounded', message: '/((a+)+)\\1/gl: Cannot be executed in linear time' });
  assert.equal(tryCompileRedaction('(a)\\1').ok, true, 'a backreference alone cannot backtrack catastrophically');
  assert.equal(tryCompileRedaction('a+').ok, true);
  assert.throws(() => compileRedaction('((a+)+)\\1'), /cannot run safely/);
});
