/** `telem plan`: terraform-style output, the detailed exit code, JSON, --running against the agent's applied policy, and bad input. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { fromRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

async function confs(dir: string): Promise<{ same: string; drop: string }> {
  const same = path.join(dir, 'a.conf');
  const drop = path.join(dir, 'b.conf');
  await writeFile(same, '[settings]\nrecord_burst_limit=100\n');
  await writeFile(drop, '[settings]\nrecord_burst_limit=100\nrate_limit_strategy=drop\n');
  return { same, drop };
}

test('telem plan --detailed-exitcode: a telemetrics.conf against itself exits 0 with "No changes."', async (t) => {
  const { same } = await confs(await tempDir(t));
  const result = await runCli(['plan', '--from', same, same, '--detailed-exitcode']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /\n\nNo changes\.\n$/);
});

test('telem plan --detailed-exitcode: rate_limit_strategy=drop exits 2 with a ~ action and a data-loss warning; JSON lists it', async (t) => {
  const { same, drop } = await confs(await tempDir(t));
  const text = await runCli(['plan', '--from', same, drop, '--detailed-exitcode']);
  assert.equal(text.code, 2, text.stderr);
  assert.match(text.stdout, /^ {2}~ route "default"\n {6}~ rate_limit\.when_exceeded: "spool" → "drop"$/m);
  assert.match(text.stdout, /^Warning: DATA LOSS: route "default": records over the rate limit are now dropped/m);
  assert.match(text.stdout, /\nPlan: 0 to add, 1 to change, 0 to remove\.\n$/);
  const json = await runCli(['plan', '--from', same, drop, '--format', 'json']);
  assert.equal(json.code, 0, 'without --detailed-exitcode a plan with changes succeeds');
  const parsed = JSON.parse(json.stdout) as { format_version: number; actions: { kind: string; entity: string; name: string; impact: string }[]; summary: unknown };
  assert.equal(parsed.format_version, 1);
  assert.deepEqual(
    parsed.actions.map(({ kind, entity, name, impact }) => ({ kind, entity, name, impact })),
    [{ kind: 'change', entity: 'route', name: 'default', impact: 'data-loss' }],
  );
  assert.deepEqual(parsed.summary, { add: 0, change: 1, remove: 0 });
});

test('telem plan: a converted telemetrics.conf planned against the conf, and the default policy against an empty conf, show "No changes."', async (t) => {
  const dir = await tempDir(t);
  const { drop } = await confs(dir);
  const converted = path.join(dir, 'converted.policy.yaml');
  assert.equal((await runCli(['convert', drop, '-o', converted])).code, 0);
  const fromConf = await runCli(['plan', '--from', drop, converted, '--detailed-exitcode']);
  assert.equal(fromConf.code, 0, fromConf.stdout + fromConf.stderr);
  assert.match(fromConf.stdout, /No changes\.\n$/);
  const empty = path.join(dir, 'empty.conf');
  await writeFile(empty, '');
  const defaults = await runCli(['plan', '--from', empty, fromRoot('policies', 'default.policy.yaml'), '--detailed-exitcode']);
  assert.equal(defaults.code, 0, defaults.stdout + defaults.stderr);
  assert.match(defaults.stdout, /No changes\.\n$/);
});

test('telem plan --running: compares with the policy the agent applied, and the agent logs one line per action when it reloads', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const policy = await writePolicy(root, oneRoutePolicy({ name: 'running', destination: '{ type: local }' }));
  const agent = await startAgent(t, { root, policy });
  const applied = JSON.parse(await readFile(path.join(root, 'run/telem/agent-policy.json'), 'utf8')) as { name: string; sha256: string; source: string };
  assert.equal(applied.name, 'running');
  assert.equal(applied.source, policy);
  assert.match(applied.sha256, /^[0-9a-f]{64}$/);
  const status = JSON.parse((await runCli(['--root', root, 'status', '--format', 'json'])).stdout) as { policy: { sha256: string } };
  assert.equal(status.policy.sha256, applied.sha256, 'telem status shows the hash of what the agent applied');

  const next = path.join(root, 'next.yaml');
  await writeFile(next, oneRoutePolicy({ name: 'running', destination: '{ type: local }', extra: 'collection: { min_severity: 3 }\n' }));
  const plan = await runCli(['--root', root, 'plan', '--running', next, '--detailed-exitcode']);
  assert.equal(plan.code, 2, plan.stderr);
  assert.match(plan.stdout, /^Plan: the running agent \(.*policy\.yaml\)/);
  assert.match(plan.stdout, /^ {2}~ collection "collection"\n {6}~ min_severity: 1 → 3$/m);

  await writeFile(policy, await readFile(next, 'utf8'));
  process.kill(agent.child.pid as number, 'SIGHUP');
  const line = await agent.waitForLog((entry) => entry.plan === 'change' && entry.entity === 'collection');
  assert.equal(line.impact, 'data-loss');
  assert.deepEqual(line.changed, ['min_severity']);
  await agent.waitForLog((entry) => entry.msg === 'policy reloaded');
  const again = await runCli(['--root', root, 'plan', '--running', next, '--detailed-exitcode']);
  assert.equal(again.code, 0, 'after the reload the running agent runs what the file says');
});

test('telem plan: bad input is one clear line and a documented exit status', async (t) => {
  const dir = await tempDir(t);
  const { same } = await confs(dir);
  const neither = await runCli(['plan', same]);
  assert.equal(neither.code, 2);
  assert.equal(neither.stderr, 'telem plan: give exactly one of --from OLD and --running\n');
  const missing = await runCli(['plan', '--from', same, path.join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, `telem plan: ${path.join(dir, 'nope.yaml')}: cannot read policy file: no such file\n`);
  const detailed = await runCli(['plan', '--from', same, path.join(dir, 'nope.yaml'), '--detailed-exitcode']);
  assert.equal(detailed.code, 1, 'with --detailed-exitcode 2 means changes, so errors are 1');
  const noAgent = await runCli(['--root', dir, 'plan', '--running', same]);
  assert.equal(noAgent.code, 2);
  assert.match(noAgent.stderr, /^telem plan: no agent has applied a policy under .* \(no .*agent-policy\.json\); plan against a file with --from OLD\n$/);
  const broken = path.join(dir, 'broken.yaml');
  await writeFile(broken, oneRoutePolicy({ name: 'b', destination: '{ type: local }' }).replace('to: [central]', 'to: [nowhere]'));
  const invalid = await runCli(['plan', '--from', same, broken]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /\(unknown-destination\)/);
});
