import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { fromRoot, repoRoot } from '../helpers/paths.js';

async function shippedPolicies(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['policies', 'policies/examples']) {
    for (const name of await readdir(fromRoot(dir))) {
      if (/\.policy\.(ya?ml|json|ts|m?js)$/.test(name)) found.push(path.join(dir, name));
    }
  }
  return found.sort();
}

test('shipped policies: there is the default and at least two examples', async () => {
  const files = await shippedPolicies();
  assert.ok(files.includes('policies/default.policy.yaml'));
  assert.ok(files.filter((file) => file.startsWith('policies/examples/')).length >= 2);
});

test('shipped policies: every one validates without errors or warnings', async () => {
  for (const file of await shippedPolicies()) {
    const checked = await checkPolicyFile({ file, cwd: repoRoot });
    assert.deepEqual(checked.diagnostics, [], file);
    assert.ok(checked.policy, file);
  }
});

test('shipped policies: YAML ones point the YAML language server at the schema', async () => {
  for (const file of (await shippedPolicies()).filter((name) => /\.ya?ml$/.test(name))) {
    const firstLine = (await readFile(fromRoot(file), 'utf8')).split('\n')[0] ?? '';
    const match = /^# yaml-language-server: \$schema=(.+)$/.exec(firstLine);
    assert.ok(match, `${file} lacks the $schema comment`);
    assert.equal(path.resolve(path.dirname(fromRoot(file)), match[1] as string), fromRoot('schemas', 'policy.schema.json'), file);
  }
});

test('default policy: reproduces upstream compiled defaults (reference §D.3)', async () => {
  const { policy } = await checkPolicyFile({ file: 'policies/default.policy.yaml', cwd: repoRoot });
  assert.ok(policy);
  const clr = policy.destinations.collector;
  assert.ok(clr?.type === 'http');
  assert.equal(clr.url, 'https://clr.telemetry.intel.com/v3/collector');
  assert.equal(clr.tid, '6907c830-eed9-4ce9-81ae-76daf8d88f0f');
  assert.equal(policy.intake.socket, '/run/telem-0');
  assert.equal(policy.spool.dir, '/var/spool/telemetry');
  assert.equal(policy.spool.max_size, 5120 * 1024);
  assert.equal(policy.spool.expiry, 1200 * 60_000);
  assert.equal(policy.spool.retry.interval, 120_000);
  assert.deepEqual(policy.routes[0]?.rate_limit, { records: { limit: 1000, windowMs: 15 * 60_000 }, bytes: null, when_exceeded: 'spool', algorithm: 'minute-slots' });
  assert.equal(policy.retention.keep_payloads, 0);
  assert.equal(policy.intake.recycle_after, 300_000);
});

test('shipped policies: every example has a policy test file beside it that names it and points at the test schema', async () => {
  for (const file of (await shippedPolicies()).filter((name) => name.startsWith('policies/examples/'))) {
    const testFile = file.replace(/\.policy\.[a-z]+$/, '.policy-test.yaml');
    const text = await readFile(fromRoot(testFile), 'utf8');
    assert.match(text, new RegExp(`^policy: \\./${path.basename(file).replaceAll('.', '\\.')}$`, 'm'), testFile);
    const match = /^# yaml-language-server: \$schema=(.+)$/.exec(text.split('\n')[0] ?? '');
    assert.equal(path.resolve(path.dirname(fromRoot(testFile)), match?.[1] ?? ''), fromRoot('schemas', 'policy-test.schema.json'), testFile);
  }
});
