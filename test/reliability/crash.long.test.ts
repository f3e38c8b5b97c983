/** The long crash runs for `npm run test:reliability`: 20 kill -9 under load, with each durability mode that syncs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseSeed } from './prng.js';
import { formatCrashReport, runCrashScenario } from './crash-run.js';

for (const durability of ['batch', 'fsync'] as const) {
  test(`crash (long, durability ${durability}): 20 kill -9 under load; 0 lost, 0 duplicated, nothing half-written`, { timeout: 300_000 }, async (t) => {
    const seed = chooseSeed();
    t.diagnostic(`seed ${seed} (replay with TELEM_RELIABILITY_SEED=${seed})`);
    const report = await runCrashScenario(t, {
      seed,
      kills: 20,
      runMs: [50, 2000],
      senders: 16,
      pauseMs: 1,
      durability,
      drainTimeoutMs: 120_000,
      progress: (line) => t.diagnostic(line),
    });
    for (const line of formatCrashReport(report).split('\n')) t.diagnostic(line);
    assert.ok(report.acknowledged > 0, 'records were acknowledged between the kills');
    assert.deepEqual({ lost: report.lost, duplicated: report.duplicated, phantom: report.phantom }, { lost: 0, duplicated: 0, phantom: 0 }, `seed ${seed}: ${JSON.stringify(report.examples)}`);
  });
}
