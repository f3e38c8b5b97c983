/**
 * Issue 16's acceptance for `protocol: telem`: 10,000 records through the real agent to the real
 * collector (SQLite), the agent and the collector each killed with SIGKILL three times along the
 * way while batches are in flight. Afterwards every record is stored exactly once,
 * and the journal's delivered lines name exactly the stored records: what the agent says the
 * collector kept is what it kept. Records are handed over between kills of the agent (a probe
 * whose connection the kernel still held when the agent died is the crash test's subject, not
 * this one's), so every record sent is one the agent accepted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AgentProcess, startAgent, writePolicy } from '../helpers/agent-process.js';
import { sendRaw } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, journalEntries, labelledFrame, metric } from './agent-probe.js';
import { exportedRecords, startCollectorProcess } from './collector-process.js';

const RECORDS = 10_000;
const KILLS = 3;
/** Records handed over between two kills: six kills in all, the last stretch runs undisturbed. */
const STRETCH = Math.floor(RECORDS / (2 * KILLS + 1));
const SENDERS = 4;

test(
  'protocol telem under kill -9: 10,000 records, agent and collector each killed three times, every record stored once and journaled as the collector kept it',
  { timeout: 170_000 },
  async (t) => {
    const agentRoot = await tempDir(t);
    const collector = await startCollectorProcess(t, { root: await tempDir(t) });
    const policy = await writePolicy(
      agentRoot,
      `apiVersion: telem/v1
kind: Policy
metadata: { name: telem-batch-crash }
consent: { require_opt_in: false }
spool: { durability: batch, retry: { interval: 100ms, max_interval: 500ms, jitter: 0 } }
destinations:
  collector: { type: http, protocol: telem, url: "${collector.url}telem/v1/records", timeout: 5s, concurrency: 2, batch: { max_records: 200, linger: 10ms } }
routes: [{ name: all, to: [collector] }]
retention: { journal_entries: 100000 }
`,
    );
    const start = () => startAgent(t, { root: agentRoot, policy, args: ['--metrics', '127.0.0.1:0'], env: { TELEM_LOG_LEVEL: 'info' } });
    let agent: AgentProcess = await start();

    const sent = new Map<string, string>(); // event id → payload
    let next = 0;
    /** Hands `count` more records to the agent, SENDERS connections at a time; each must be accepted. */
    async function handOver(count: number): Promise<void> {
      const end = Math.min(RECORDS, next + count);
      const before = await metric(agent, 'telem_records_accepted_total');
      let handed = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < end) {
            const { frame, eventId, payload } = labelledFrame(`record-${next++}`);
            const failure = await sendRaw(agent.socketPath, [frame]);
            assert.equal(failure, null, `${payload} handed over`);
            sent.set(eventId, payload);
            handed += 1;
          }
        }),
      );
      // In the spool before the next kill: the agent has read every connection it was handed.
      await eventually(
        () => metric(agent, 'telem_records_accepted_total'),
        (accepted) => accepted - before >= handed,
        { timeoutMs: 20_000, what: `${handed} records accepted` },
      );
    }

    // Each round: records handed over and the collector killed at once, while their batches are in flight; more
    // records spooled while it is down; then the agent killed just after the collector is back, mid-backlog.
    for (let round = 0; round < KILLS; round += 1) {
      await handOver(STRETCH);
      await collector.kill();
      await handOver(STRETCH);
      const settled = await metric(agent, 'telem_records_settled_total');
      await collector.start();
      // The backlog has begun to drain: batches are in flight.
      await eventually(
        () => metric(agent, 'telem_records_settled_total'),
        (now) => now > settled,
        { timeoutMs: 20_000, what: 'deliveries after the collector came back' },
      );
      await agent.kill();
      agent = await start();
      t.diagnostic(`round ${round + 1}: collector and agent killed, ${next} records handed over`);
    }
    await handOver(RECORDS - next);
    assert.equal(sent.size, RECORDS);

    await eventually(
      async () => new Set((await journalEntries(agentRoot)).filter((entry) => entry.outcome === 'delivered').map((entry) => entry.eventId)).size,
      (records) => records >= RECORDS,
      { timeoutMs: 60_000, what: 'a delivered journal line for every record' },
    ).catch(async (error: unknown) => {
      const journaled = new Set((await journalEntries(agentRoot)).map((entry) => entry.eventId));
      const storedNow = new Set((await exportedRecords(collector)).map((record) => record.event_id));
      const missing = [...sent].filter(([eventId]) => !journaled.has(eventId));
      t.diagnostic(
        `${missing.length} records without a journal line (label:at the collector): ${missing.map(([id, label]) => `${label}:${storedNow.has(id) ? 'stored' : 'not-stored'}`).join(' ')}`,
      );
      throw error;
    });
    const journal = await journalEntries(agentRoot);
    const delivered = journal.filter((entry) => entry.outcome === 'delivered');
    assert.deepEqual(
      journal.filter((entry) => entry.outcome !== 'delivered'),
      [],
      'nothing rejected, dropped or expired',
    );

    const stored = await exportedRecords(collector);
    const storedIds = stored.map((record) => record.event_id);
    assert.equal(new Set(storedIds).size, storedIds.length, 'no record stored twice');
    assert.equal(stored.length, RECORDS, 'every record stored');
    for (const record of stored) assert.equal(record.payload, sent.get(record.event_id), `stored ${record.event_id} is a record that was sent, byte for byte`);
    assert.deepEqual(new Set(delivered.map((entry) => entry.eventId)), new Set(storedIds), 'the journal says delivered for exactly the stored records');
    // The collector answers "stored" once per record, so at most one line per record says so; a record the agent
    // journaled and then died before its settlement was on disk is sent again and journaled again, as a duplicate.
    const storedLines = new Map<string, number>();
    for (const entry of delivered) if (entry.reason === null) storedLines.set(entry.eventId, (storedLines.get(entry.eventId) ?? 0) + 1);
    assert.deepEqual(
      [...storedLines].filter(([, count]) => count > 1),
      [],
      'no record journaled as stored twice',
    );
    t.diagnostic(`${delivered.length - RECORDS} extra delivered lines, ${delivered.filter((entry) => entry.reason === 'duplicate').length} answered duplicate`);
    await agent.stop();
  },
);
