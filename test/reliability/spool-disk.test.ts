/**
 * The spool's filesystem fails under the agent: it fills up (a small tmpfs filled by another
 * file), or the spool directory is read-only. The agent says so in its log, keeps serving the
 * socket and drops records with reason spool_unwritable (journaled, counted), and takes records
 * again as soon as the filesystem lets it. Nothing it had acknowledged is lost on the way.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { eventually, journalEntries, labelOf, labelledFrame, metric, v3Payload } from './agent-probe.js';
import { MOUNT_SKIP, fillFilesystem, mountingRoot, removeFile } from './mounts.js';

function policy(url: string): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: spool-disk }
consent: { require_opt_in: false }
spool: { durability: fsync, retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }
destinations:
  central: { type: http, url: "${url}", concurrency: 1 }
routes:
  - { name: all, to: [central] }
retention: { journal_entries: 1000 }
`;
}

test(
  'disk full: the agent logs ENOSPC, journals spool_unwritable drops, keeps serving, and after space returns spools again without losing a record to a kill -9',
  { skip: MOUNT_SKIP, timeout: 30_000 },
  async (t) => {
    const { root, tmpfs } = await mountingRoot(t);
    const spoolDir = path.join(root, 'var', 'spool', 'telemetry');
    await tmpfs(spoolDir, 256 * 1024);
    let up = true;
    const sink = await startHttpSink(t, { respond: () => ({ status: up ? 201 : 503 }) });
    const policyFile = await writePolicy(root, policy(sink.url()));
    let agent = await startAgent(t, { root, policy: policyFile, args: ['--metrics', '127.0.0.1:0'] });
    const labels = new Map<string, string>();
    const send = async (label: string) => {
      const { frame, eventId } = labelledFrame(label, 1500);
      labels.set(eventId, label);
      assert.equal(await sendRaw(agent.socketPath, [frame]), null);
    };

    for (let index = 0; index < 3; index += 1) await send(`before-${index}`);
    await waitUntil(() => sink.requests.length === 3, 5000, 'the first records delivered');
    // From here on the records stay in the spool, so a later kill -9 must find them there.
    up = false;
    await fillFilesystem(path.join(spoolDir, 'other-data'));
    for (let index = 0; index < 10; index += 1) await send(`full-${index}`);
    const complaint = await agent.waitForLog((line) => line.msg === 'cannot write to the spool; dropping records until it can be written again');
    assert.equal(complaint.level, 50);
    assert.equal((complaint.err as { code?: string }).code, 'ENOSPC');

    await removeFile(path.join(spoolDir, 'other-data'));
    for (let index = 0; index < 5; index += 1) await send(`after-${index}`);
    const counted = async () => ({ accepted: await metric(agent, 'telem_records_accepted_total'), dropped: await metric(agent, 'telem_drops_total{reason="spool_unwritable"}') });
    const { dropped } = await eventually(counted, ({ accepted, dropped }) => accepted + dropped === labels.size, { timeoutMs: 5000, what: 'every record sent spooled or dropped' });
    assert.ok(dropped > 0, 'some records were dropped while the disk was full');
    const drops = await eventually(
      async () => (await journalEntries(root)).filter((entry) => entry.outcome === 'dropped'),
      (entries) => entries.length === dropped,
      { timeoutMs: 5000, what: 'the drops in the journal' },
    );
    assert.deepEqual(new Set(drops.map((entry) => entry.reason)), new Set(['spool_unwritable']));
    const droppedLabels = new Set(drops.map((entry) => labels.get(entry.eventId)));
    assert.ok(
      [...droppedLabels].every((label) => label?.startsWith('full-')),
      'only records sent while the disk was full were dropped',
    );

    await agent.kill();
    up = true;
    const deliveredBefore = sink.requests.length;
    agent = await startAgent(t, { root, policy: policyFile });
    const expected = [...labels.values()].filter((label) => !label.startsWith('before-') && !droppedLabels.has(label));
    await waitUntil(() => sink.requests.length - deliveredBefore >= expected.length, 10_000, 'the spooled records after the restart');
    await agent.stop();
    const delivered = sink.requests
      .slice(deliveredBefore)
      .filter((request) => request.head.startsWith('POST'))
      .map((request) => labelOf(v3Payload(request.body)));
    assert.deepEqual(delivered.sort(), expected.sort(), 'everything spooled before the kill arrived once: the records after the full disk too');
  },
);

test(
  'read-only spool directory: the agent starts anyway, says why, drops records as spool_unwritable, and spools again once the directory is writable',
  { skip: MOUNT_SKIP, timeout: 30_000 },
  async (t) => {
    const { root, bindOnItself } = await mountingRoot(t);
    const spoolDir = path.join(root, 'var', 'spool', 'telemetry');
    const mount = await bindOnItself(spoolDir);
    await mount.readOnly(true);
    const sink = await startHttpSink(t);
    const agent = await startAgent(t, { root, policy: await writePolicy(root, policy(sink.url())) });
    const complaint = await agent.waitForLog((line) => line.msg === 'cannot write to the spool; dropping records until it can be written again');
    assert.equal(complaint.level, 50);
    assert.equal((complaint.err as { code?: string }).code, 'EROFS');

    const labels = new Map<string, string>();
    const send = async (label: string) => {
      const { frame, eventId } = labelledFrame(label);
      labels.set(eventId, label);
      assert.equal(await sendRaw(agent.socketPath, [frame]), null);
    };
    for (let index = 0; index < 3; index += 1) await send(`read-only-${index}`);
    await eventually(
      async () => (await journalEntries(root)).length,
      (count) => count === 3,
      { timeoutMs: 5000, what: 'three journaled drops' },
    );
    await mount.readOnly(false);
    for (let index = 0; index < 3; index += 1) await send(`writable-${index}`);
    await waitUntil(() => sink.requests.length === 3, 5000, 'the records sent once the directory was writable');
    assert.equal(await agent.stop(), 0);

    assert.deepEqual(
      sink.requests.map((request) => v3Payload(request.body)),
      ['writable-0', 'writable-1', 'writable-2'],
    );
    const journal = (await journalEntries(root)).map((entry) => `${labels.get(entry.eventId)} ${entry.outcome} ${entry.reason ?? ''}`.trim());
    assert.deepEqual(journal, [
      'read-only-0 dropped spool_unwritable',
      'read-only-1 dropped spool_unwritable',
      'read-only-2 dropped spool_unwritable',
      'writable-0 delivered',
      'writable-1 delivered',
      'writable-2 delivered',
    ]);
    assert.ok(
      agent.logs.some((line) => line.msg === 'the spool can be written again'),
      'the recovery is logged',
    );
  },
);
