/**
 * The spool fills its own small filesystem while the collector is down. Once the collector is
 * back, delivered records must still be settled although no ack line fits, their segments deleted
 * so the space returns, and new records accepted again — while running, and after a kill -9 too.
 * (The wedge this guards against: acks failing with ENOSPC kept every segment, so no space ever
 * returned and every new record was dropped, across restarts.)
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { type AgentProcess, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { eventually, labelOf, labelledFrame, metric, v3Payload } from './agent-probe.js';
import { MOUNT_SKIP, mountingRoot } from './mounts.js';

function policy(url: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: spool-full-recovery }
consent: { require_opt_in: false }
spool: { max_size: unlimited, durability: fsync, retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }
destinations:
  central: { type: http, url: "${url}", concurrency: 4 }
routes:
  - { name: all, to: [central] }
retention: { journal_entries: 2000 }
`;
}

async function fillSpool(agent: AgentProcess, prefix: string): Promise<{ spooled: string[]; dropped: number }> {
  const spooled: string[] = [];
  for (let index = 0; index < 2000; index += 1) {
    const { frame } = labelledFrame(`${prefix}-${index}`, 1500);
    assert.equal(await sendRaw(agent.socketPath, [frame]), null);
    if ((await metric(agent, 'telem_drops_total{reason="spool_unwritable"}')) > 0) return { spooled, dropped: 1 };
    spooled.push(`${prefix}-${index}`);
  }
  throw new Error('the spool never filled its filesystem');
}

const segmentFiles = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.seg') || name.endsWith('.ack'));

for (const restart of [false, true]) {
  test(
    `full spool filesystem: once the collector is back the agent settles, deletes its segments and accepts new records${restart ? ', after a kill -9 too' : ''}`,
    { skip: MOUNT_SKIP, timeout: 90_000 },
    async (t) => {
      const { root, tmpfs } = await mountingRoot(t);
      const spoolDir = path.join(root, 'var', 'spool', 'telemetry');
      await tmpfs(spoolDir, 384 * 1024);
      let up = false;
      const sink = await startHttpSink(t, { respond: () => ({ status: up ? 201 : 503 }) });
      const policyFile = await writePolicy(root, policy(sink.url()));
      let agent = await startAgent(t, { root, policy: policyFile, args: ['--metrics', '127.0.0.1:0'] });
      const { spooled } = await fillSpool(agent, 'full');
      assert.ok(spooled.length > 50, `records were spooled before the filesystem was full (${spooled.length})`);

      if (restart) {
        await agent.kill();
        up = true;
        agent = await startAgent(t, { root, policy: policyFile, args: ['--metrics', '127.0.0.1:0'] });
      } else {
        up = true;
      }
      const delivered = () => new Set(sink.requests.filter((request) => request.head.startsWith('POST')).map((request) => labelOf(v3Payload(request.body))));
      await waitUntil(() => spooled.every((label) => delivered().has(label)), 30_000, 'every spooled record delivered');
      // The segments that held them are gone (at most the fresh, empty current one is left).
      await eventually(
        () => segmentFiles(spoolDir),
        (files) => files.filter((name) => name.endsWith('.seg')).length <= 1,
        { timeoutMs: 10_000, what: 'the delivered segments removed' },
      );
      await eventually(
        () => metric(agent, 'telem_spool_records'),
        (records) => records === 0,
        { timeoutMs: 10_000, what: 'an empty spool' },
      );

      // New records are accepted and delivered again: the filesystem has room once more.
      const before = await metric(agent, 'telem_drops_total{reason="spool_unwritable"}');
      for (let index = 0; index < 20; index += 1) assert.equal(await sendRaw(agent.socketPath, [labelledFrame(`after-${index}`, 1500).frame]), null);
      await waitUntil(() => Array.from({ length: 20 }, (_, index) => `after-${index}`).every((label) => delivered().has(label)), 15_000, 'the new records delivered');
      assert.equal(await metric(agent, 'telem_drops_total{reason="spool_unwritable"}'), before, 'no new record was dropped');
      assert.equal(await agent.stop(), 0);
    },
  );
}
