/** `telem fleet status --collector URL`: text and JSON from a real collector, filters, and exit 2 when there is no fleet to show; `telem fleet halt|resume` against a real collector. */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { tokenDigest } from '../../engine/collector/validation/tenant.js';
import type { FleetAnswer } from '../../engine/collector/query/answers.js';
import { getJson, startTestCollector } from '../collector/collector-helpers.js';
import { postStatus } from '../collector/status-records.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;
const REASON = 'bundle-signature: no trusted key signed bundle 13';

test(
  "telem fleet status: a line per channel and sequence with its machines by state and failure reasons, then the machines; --format json is the collector's answer; --channel and --state narrow it",
  { timeout: 60_000 },
  async (t) => {
    const collector = await startTestCollector(t);
    const empty = await runCli(['fleet', 'status', '--collector', collector.url]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, `Fleet at ${collector.url}: 0 machines\nNo machine has sent a status record (org.telem/agent/status) yet.\n`);

    await postStatus(collector, { machine: 'a1', created: T, active: 13, state: 'healthy' });
    await postStatus(collector, { machine: 'a2', created: T + 1, active: 13, state: 'healthy' });
    await postStatus(collector, { machine: 'b1', created: T + 2, active: 12, desired: 13, state: 'failed', lastFailed: { sequence: 13, reason: REASON } });
    await postStatus(collector, { machine: 'c1', created: T + 3, channel: 'beta', active: 14, desired: 15, state: 'applying' });

    const text = await runCli(['fleet', 'status', '--collector', collector.url]);
    assert.equal(text.code, 0, text.stderr);
    const failed = `13: ${REASON}`;
    const seen = (offset: number) => new Date((T + offset) * 1000).toISOString();
    assert.equal(
      text.stdout,
      [
        `Fleet at ${collector.url}: 4 machines`,
        '  beta sequence 14: 1 machine (applying 1)',
        '  stable sequence 13: 2 machines (healthy 2)',
        `    failed on 1 machine: ${REASON}`,
        '  stable sequence 12: 1 machine (failed 1)',
        '',
        `MACHINE  CHANNEL  SEQUENCE  STATE     DESIRED  ${'LAST FAILED'.padEnd(failed.length)}  SEEN`,
        `c1       beta     14        applying  15       ${'-'.padEnd(failed.length)}  ${seen(3)}`,
        `a1       stable   13        healthy   -        ${'-'.padEnd(failed.length)}  ${seen(0)}`,
        `a2       stable   13        healthy   -        ${'-'.padEnd(failed.length)}  ${seen(1)}`,
        `b1       stable   12        failed    13       ${failed}  ${seen(2)}`,
        '',
      ].join('\n'),
    );

    const json = await runCli(['fleet', 'status', '--collector', collector.url, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), (await getJson<FleetAnswer>(collector, '/api/fleet')).body);

    // The URL without a scheme or trailing slash, and filters passed on to the collector.
    const beta = await runCli(['fleet', 'status', '--collector', collector.url.replace(/^http:\/\//, '').replace(/\/$/, ''), '--channel', 'beta', '--format', 'json']);
    assert.equal(beta.code, 0, beta.stderr);
    assert.deepEqual(
      (JSON.parse(beta.stdout) as FleetAnswer).machines.map((machine) => machine.machine_id),
      ['c1'],
    );
    const limited = await runCli(['fleet', 'status', '--collector', collector.url, '--state', 'healthy', '--state', 'failed', '--limit', '1']);
    assert.equal(limited.code, 0, limited.stderr);
    assert.match(limited.stdout, /^Fleet at .*: 3 machines\n/);
    assert.match(limited.stdout, /\na1 +stable +13 +healthy .*\n\(1 of 3 machines listed; --limit lists more, up to 1000\)\n$/);
  },
);

test('telem fleet status: exit 2 with one line when the collector cannot be reached, answers an error, or answers something other than a fleet', { timeout: 60_000 }, async (t) => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as net.AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const unreachable = await runCli(['fleet', 'status', '--collector', `http://127.0.0.1:${port}/`]);
  assert.equal(unreachable.code, 2);
  assert.equal(unreachable.stderr, `telem fleet status: cannot get the fleet from http://127.0.0.1:${port}/api/fleet: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  assert.equal(unreachable.stdout, '');

  const answers: Record<string, [number, string]> = {
    '/error/api/fleet': [503, JSON.stringify({ message: 'the database cannot be reached right now; try again later' })],
    '/other/api/fleet': [200, JSON.stringify({ records: [] })],
    '/html/api/fleet': [200, '<html>not a collector</html>'],
  };
  const server = http.createServer((req, res) => {
    const [status, body] = answers[new URL(req.url ?? '/', 'http://x').pathname] ?? [404, '{}'];
    res.writeHead(status, { 'Content-Type': body.startsWith('<') ? 'text/html' : 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const failing = await runCli(['fleet', 'status', '--collector', `${base}/error/`]);
  assert.equal(failing.code, 2);
  assert.equal(failing.stderr, `telem fleet status: cannot get the fleet from ${base}/error/api/fleet: HTTP 503: the database cannot be reached right now; try again later\n`);
  for (const path of ['/other/', '/html/']) {
    const other = await runCli(['fleet', 'status', '--collector', `${base}${path}`, '--format', 'json']);
    assert.equal(other.code, 2, path);
    assert.equal(
      other.stderr,
      `telem fleet status: ${base}${path}api/fleet did not answer with a fleet (format_version 1); is this a telem collector, and its API listener (collector.listen_api)?\n`,
    );
    assert.equal(other.stdout, '');
  }

  const usage = await runCli(['fleet', 'status']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /required option '--collector <url>' not specified/);
});

test(
  'telem fleet halt|resume: with an admin token from --token-file or TELEM_ADMIN_TOKEN the collector halts and resumes the rollout; without one exit 2, with a wrong one exit 1, and nothing changes',
  { timeout: 60_000 },
  async (t) => {
    const token = 'cli-admin-token-abcdef0123456789';
    const collector = await startTestCollector(t, { settings: { admin_tokens: [{ name: 'ops', token: tokenDigest(token) }] } });
    const created = Math.trunc(Date.now() / 1000) - 60;
    const begins = new Date(created * 1000).toISOString();
    await postStatus(collector, {
      machine: 'c1',
      created,
      counters: { accepted: 1, delivered: 1, failed: 0, dropped: {} },
      rollout: {
        id: 'cli-rollout',
        sequence: 3,
        arm: 'candidate',
        step: 0,
        state: 'baking',
        gate: null,
        spec: {
          start: begins,
          deadline: null,
          steps: [{ percent: 50, bake: 3_600_000, max_failure_rate: 0.05, begins }],
          gates: { max_delivery_failure_ratio: 0.2, max_drops: { '*': 0 }, max_spool_growth: 1024, max_restarts: 2, compare_factor: 2 },
        },
      },
    });
    const halted = async () =>
      (await getJson<{ rollouts: Record<string, { halted: boolean; reason: string | null; at: string | null; by: string | null }> }>(collector, '/fleet/stable/control')).body.rollouts[
        'cli-rollout'
      ];
    const dir = await tempDir(t);
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const args = (action: string, ...extra: string[]) => ['fleet', action, 'cli-rollout', '--collector', collector.url, '--channel', 'stable', ...extra];

    const missing = await runCli(args('halt'), { env: { ...process.env, TELEM_ADMIN_TOKEN: '' } });
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'telem fleet halt: an admin token is needed: --token-file FILE or TELEM_ADMIN_TOKEN\n');
    const wrong = await runCli(args('halt'), { env: { ...process.env, TELEM_ADMIN_TOKEN: 'not-it' } });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^telem fleet halt: cannot halt rollout "cli-rollout" at .*: HTTP 401: the bearer token is not valid: it is unknown or has been revoked\n$/);
    const unseen = await runCli(['fleet', 'halt', 'other-rollout', '--collector', collector.url, '--channel', 'stable', '--token-file', tokenFile]);
    assert.equal(unseen.code, 1);
    assert.match(unseen.stderr, /HTTP 404: no rollout "other-rollout" has been seen on channel "stable"/);
    assert.equal((await halted())?.halted, false, 'refused requests change nothing');

    const halt = await runCli(args('halt', '--token-file', tokenFile, '--reason', 'crash reports up'));
    assert.equal(halt.code, 0, halt.stderr);
    assert.match(halt.stdout, /^rollout "cli-rollout" on stable: halted by ops at \S+: crash reports up\n$/);
    assert.deepEqual(await halted(), { halted: true, reason: 'crash reports up', at: (await halted())?.at, by: 'ops' });

    const resume = await runCli(args('resume', '--format', 'json'), { env: { ...process.env, TELEM_ADMIN_TOKEN: token } });
    assert.equal(resume.code, 0, resume.stderr);
    assert.deepEqual(
      { ...(JSON.parse(resume.stdout) as Record<string, unknown>), at: null },
      { rollout: 'cli-rollout', channel: 'stable', halted: false, reason: null, at: null, by: 'ops' },
    );
    assert.equal((await halted())?.halted, false);

    const badFile = await runCli(args('halt', '--token-file', path.join(dir, 'absent')));
    assert.equal(badFile.code, 2);
    assert.match(badFile.stderr, /^telem fleet halt: cannot read the token file .*absent: ENOENT/);
  },
);
