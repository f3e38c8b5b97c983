/**
 * The collector (`telem collector` on SQLite) is down for a while: the agent's spool fills up to
 * its max_size, records beyond it are dropped with reason spool_full — journaled, in the metrics
 * and in `telem status` — and everything the spool held arrives once the collector is back.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { runCli } from '../helpers/cli.js';
import { sendRaw } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus, eventually, journalEntries, labelOf, labelledFrame, metric } from './agent-probe.js';
import { exportedRecords, startCollectorProcess } from './collector-process.js';

const MAX_SPOOL = 24 * 1024;

test(
  'outage: while the collector is down the spool fills to max_size, the rest is dropped as spool_full (journal, metrics, telem status), and all it held arrives after recovery',
  { timeout: 45_000 },
  async (t) => {
    const root = await tempDir(t);
    const collector = await startCollectorProcess(t, { root });
    // Where `telem status` looks for the machine's policy, so it reads the same journal.
    await mkdir(path.join(root, 'etc', 'telemetrics'), { recursive: true });
    const policy = await writePolicy(
      root,
      `apiVersion: telem/v1
kind: Policy
metadata: { name: outage }
consent: { require_opt_in: false }
spool: { max_size: ${MAX_SPOOL}, retry: { interval: 100ms, max_interval: 500ms, jitter: 0 } }
destinations:
  collector: { type: http, url: "${collector.ingestUrl}", concurrency: 2 }
routes:
  - { name: all, to: [collector] }
retention: { journal_entries: 1000 }
`,
      'etc/telemetrics/telem.policy.yaml',
    );
    const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'] });
    const labels = new Map<string, string>();
    const send = async (label: string) => {
      const { frame, eventId } = labelledFrame(label, 1000);
      labels.set(eventId, label);
      assert.equal(await sendRaw(agent.socketPath, [frame]), null);
    };
    const stored = async () => (await exportedRecords(collector)).map((record) => labelOf(record.payload));

    for (let index = 0; index < 5; index += 1) await send(`before-${index}`);
    await eventually(stored, (records) => records.length === 5, { timeoutMs: 5000, what: 'the records sent before the outage' });

    await collector.stop();
    const outage = Array.from({ length: 40 }, (_, index) => `outage-${index}`);
    for (const label of outage) await send(label);
    const during = await eventually(
      () => agentStatus(agent),
      (status) => (status.drops.spool_full ?? 0) > 0 && status.spool.records + (status.drops.spool_full ?? 0) === outage.length,
      {
        timeoutMs: 5000,
        what: 'every outage record spooled or dropped',
      },
    );
    const dropped = during.drops.spool_full as number;
    const entrySize = during.spool.bytes / during.spool.records;
    assert.equal(during.spool.maxBytes, MAX_SPOOL);
    assert.ok(during.spool.bytes <= MAX_SPOOL, `the spool holds ${during.spool.bytes} bytes, limit ${MAX_SPOOL}`);
    assert.ok(during.spool.bytes + entrySize > MAX_SPOOL, `the spool was filled up to its limit before dropping (${during.spool.bytes} of ${MAX_SPOOL} bytes)`);
    assert.equal(await metric(agent, 'telem_drops_total{reason="spool_full"}'), dropped);
    const kept = outage.slice(0, outage.length - dropped);
    const journaled = await eventually(
      async () => (await journalEntries(root)).filter((entry) => entry.outcome === 'dropped'),
      (entries) => entries.length === dropped,
      { timeoutMs: 5000, what: 'the drops in the journal' },
    );
    assert.deepEqual(
      journaled.map((entry) => `${labels.get(entry.eventId)} ${entry.reason}`),
      outage.slice(kept.length).map((label) => `${label} spool_full`),
      'the records beyond the limit, and only those, are journaled as dropped',
    );

    await collector.start();
    await eventually(
      () => agentStatus(agent),
      (status) => status.spool.records === 0,
      { timeoutMs: 15_000, what: 'the spool to drain after recovery' },
    );
    for (let index = 0; index < 3; index += 1) await send(`after-${index}`);
    const expected = ['before-0', 'before-1', 'before-2', 'before-3', 'before-4', ...kept, 'after-0', 'after-1', 'after-2'];
    const arrived = await eventually(stored, (records) => records.length >= expected.length, { timeoutMs: 10_000, what: 'every kept record at the collector' });
    assert.deepEqual([...arrived].sort(), [...expected].sort(), 'everything the spool held arrived once, and nothing dropped did');
    assert.equal(await agent.stop(), 0);

    const status = await runCli(['--root', root, 'status', '--format', 'json']);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual((JSON.parse(status.stdout) as { drops: Record<string, number> }).drops, { spool_full: dropped });
  },
);
