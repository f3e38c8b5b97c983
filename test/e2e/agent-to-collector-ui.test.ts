/**
 * The whole path a user sees: `telem record` → agent (`telem run`, unix socket, spool,
 * v3 delivery) → `telem collector` (SQLite) → the web UI in headless Chromium, logged in with a
 * token of `telem collector token create`, all real processes under one temporary --root. The
 * record must show in the UI within two seconds.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startProcess } from '../collector/collector-helpers.js';
import { BROWSER_SKIP, artifactPath, openPage } from '../collector/ui/browser.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('agent to collector: a record sent with telem record through the agent shows in the collector UI within two seconds', { skip: BROWSER_SKIP, timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const collector = await startProcess({ args: ['--root', root, 'collector', '--listen', '127.0.0.1:0'], ready: { stream: 'stdout', pattern: /^(http:\/\/\S+\/)\n/ } });
  t.after(() => collector.stop());
  const url = collector.match[1] as string;

  const policy = path.join(root, 'agent.policy.yaml');
  await writeFile(
    policy,
    [
      'apiVersion: telem/v1',
      'kind: Policy',
      'metadata: { name: agent-to-collector }',
      'destinations:',
      `  collector: { type: http, protocol: v3, url: "${url}v3/collector" }`,
      'routes:',
      '  - { name: all, match: { classification: "*" }, to: [collector] }',
      '',
    ].join('\n'),
  );
  assert.equal((await runCli(['--root', root, 'opt-in'])).code, 0);
  const agent = await startProcess({ args: ['--root', root, 'run', '--policy', policy], ready: { stream: 'stderr', pattern: /"msg":"agent ready"/ } });
  t.after(() => agent.stop());

  const created = await runCli(['--root', root, 'collector', 'token', 'create', '--name', 'e2e', '--role', 'read']);
  assert.equal(created.code, 0, created.stderr);
  const { page, problems } = await openPage(t);
  await page.goto(url);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.fill('input[name="token"]', created.stdout.trim());
  await page.click('#login button[type="submit"]');
  await page.locator('#empty').waitFor({ state: 'visible' });

  const sent = await runCli(['--root', root, 'record', '--class', 'org.example/e2e/through-agent', '--severity', '2', '--payload', 'sent with telem record']);
  assert.equal(sent.code, 0, sent.stderr);
  const handedOver = Date.now();
  const row = page.locator('#record-table tbody tr', { hasText: 'org.example/e2e/through-agent' });
  await row.waitFor({ timeout: 2000 });
  const latency = Date.now() - handedOver;
  assert.ok(latency <= 2000, `visible ${latency} ms after telem record returned`);
  await row.click();
  // The detail panel loads the record after the click: wait for it rather than read too early.
  await page.locator('#detail pre.payload', { hasText: 'sent with telem record' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#detail pre.payload').innerText(), 'sent with telem record');
  assert.match(await page.locator('#detail-fields').innerText(), /protocol\s+v3/);
  await page.screenshot({ path: artifactPath('agent-to-collector-ui.png'), fullPage: true });
  assert.deepEqual(problems, []);
});
