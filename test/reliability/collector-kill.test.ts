/**
 * A 2xx from the collector means the record is on disk: the SQLite writer thread commits (WAL,
 * synchronous = FULL) before the answer. So a collector killed with SIGKILL under load, v3 posts
 * and batches both in flight, has every record it answered 201 (or "stored"/"duplicate" in a
 * batch answer) once it is started again; what was in flight at the kill may or may not be there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UPSTREAM_TID, v3Body } from '../collector/collector-helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { exportedRecords, startCollectorProcess } from './collector-process.js';

/** Answered records after which the collector is killed (the load keeps going until it is). */
const KILL_AFTER = 1500;

test('collector SIGKILL under load: every record answered 2xx before the kill is stored after the restart', { timeout: 120_000 }, async (t) => {
  const root = await tempDir(t);
  const collector = await startCollectorProcess(t, { root });
  const acknowledged: string[] = [];
  let next = 0;
  let killed = false;

  const v3Loop = async () => {
    while (!killed) {
      const payload = `v3 ${(next += 1)}\n`;
      try {
        const response = await fetch(collector.ingestUrl, {
          method: 'POST',
          headers: { 'X-Telemetry-TID': UPSTREAM_TID, 'Content-Type': 'application/json' },
          body: JSON.stringify(v3Body({}, payload)),
        });
        await response.arrayBuffer();
        if (response.status === 201) acknowledged.push(payload);
      } catch {
        // The kill cut this request: its record may or may not be stored.
      }
    }
  };
  const batchLoop = async () => {
    while (!killed) {
      const payloads = Array.from({ length: 100 }, () => `batch ${(next += 1)}\n`);
      try {
        const response = await fetch(new URL('/telem/v1/records', collector.url), {
          method: 'POST',
          headers: { 'X-Telemetry-TID': UPSTREAM_TID, 'Content-Type': 'application/x-ndjson' },
          body: payloads.map((payload) => `${JSON.stringify({ ...v3Body({}, payload), record_id: payload.trim().replace(' ', '-') })}\n`).join(''),
        });
        if (response.status !== 200) {
          await response.arrayBuffer();
          continue;
        }
        const { results } = (await response.json()) as { results: { status: string }[] };
        results.forEach((result, index) => {
          if (result.status === 'stored' || result.status === 'duplicate') acknowledged.push(payloads[index] as string);
        });
      } catch {
        // As above.
      }
    }
  };
  const killer = async () => {
    while (acknowledged.length < KILL_AFTER) await new Promise((resolve) => setTimeout(resolve, 10));
    await collector.kill();
    killed = true;
  };
  await Promise.all([killer(), ...Array.from({ length: 8 }, v3Loop), batchLoop(), batchLoop()]);

  await collector.start();
  const stored = new Set((await exportedRecords(collector)).map((record) => record.payload));
  const missing = acknowledged.filter((payload) => !stored.has(payload));
  assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged records are missing after the restart`);
  assert.ok(acknowledged.length >= KILL_AFTER);
});
