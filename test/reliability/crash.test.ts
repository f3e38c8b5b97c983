/** The short crash run for `npm test`: three kill -9 under load, loss counted as a probe sees it; the long runs (20 kills) are crash.long.test.ts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseSeed } from './prng.js';
import { PASSING_VERDICT, crashVerdict, formatCrashReport, runCrashScenario } from './crash-run.js';

test('crash: kill -9 three times under load; every record a probe handed over reaches the collector, re-sends bounded, nothing half-written', { timeout: 60_000 }, async (t) => {
  const seed = chooseSeed();
  t.diagnostic(`seed ${seed} (replay with TELEM_RELIABILITY_SEED=${seed})`);
  const report = await runCrashScenario(t, { seed, kills: 3, runMs: [150, 700], probes: 4, ratePerSecond: 300, durability: 'batch', drainTimeoutMs: 20_000 });
  for (const line of formatCrashReport(report).split('\n')) t.diagnostic(line);
  assert.ok(report.accepted > 0, 'probes handed records over between the kills');
  assert.deepEqual(crashVerdict(report), PASSING_VERDICT(report), `seed ${seed}: resent ${report.resent} (bound ${report.resentBound}); ${JSON.stringify(report.examples)}`);
});
