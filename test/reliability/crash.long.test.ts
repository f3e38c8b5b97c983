/** The long crash runs for `npm run test:reliability`: 20 kill -9 under load with each durability mode that syncs, and with the collector going down as well. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseSeed } from './prng.js';
import { formatCrashReport, runCrashScenario } from './crash-run.js';

const runs = [
  { name: 'durability batch', durability: 'batch', collectorOutages: false, senders: 16, pauseMs: 1, maxSpool: 'unlimited' },
  { name: 'durability fsync', durability: 'fsync', collectorOutages: false, senders: 16, pauseMs: 1, maxSpool: 'unlimited' },
  // A lighter load, so the backlog of each outage drains between them; the spool is bounded as in production.
  { name: 'durability batch, collector going down too', durability: 'batch', collectorOutages: true, senders: 6, pauseMs: 3, maxSpool: '32MiB' },
] as const;

for (const { name, durability, collectorOutages, senders, pauseMs, maxSpool } of runs) {
  test(`crash (long, ${name}): 20 kill -9 under load; 0 lost, 0 duplicated, nothing half-written`, { timeout: 300_000 }, async (t) => {
    const seed = chooseSeed();
    t.diagnostic(`seed ${seed} (replay with TELEM_RELIABILITY_SEED=${seed})`);
    const report = await runCrashScenario(t, {
      seed,
      kills: 20,
      runMs: [50, 2000],
      senders,
      pauseMs,
      durability,
      collectorOutages,
      maxSpool,
      drainTimeoutMs: 120_000,
      progress: (line) => t.diagnostic(line),
    });
    for (const line of formatCrashReport(report).split('\n')) t.diagnostic(line);
    assert.ok(report.acknowledged > 0, 'records were acknowledged between the kills');
    assert.deepEqual({ lost: report.lost, duplicated: report.duplicated, phantom: report.phantom }, { lost: 0, duplicated: 0, phantom: 0 }, `seed ${seed}: ${JSON.stringify(report.examples)}`);
  });
}
