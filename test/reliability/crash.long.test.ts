/**
 * The long crash runs for `npm run test:reliability`: 20 kill -9 at 500 records/s from 8 probes
 * with each durability mode that syncs; with the collector going down as well; with a second
 * agent started on the same root between kills; with the destination renamed between kills.
 * Loss is counted as a probe sees it (crash-run.ts): every record whose connect, write and close
 * succeeded must be stored or journaled as dropped for a reason; re-sends stay within what was
 * unsettled or in flight at the kills.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseSeed } from './prng.js';
import { type CrashRunOptions, PASSING_VERDICT, crashVerdict, formatCrashReport, runCrashScenario } from './crash-run.js';

type Run = { readonly name: string } & Omit<CrashRunOptions, 'seed' | 'progress' | 'kills' | 'drainTimeoutMs'>;

const LOAD = { probes: 8, ratePerSecond: 500 } as const;

const runs: readonly Run[] = [
  { name: 'durability batch', durability: 'batch', runMs: [50, 2000], ...LOAD },
  { name: 'durability fsync', durability: 'fsync', runMs: [50, 2000], ...LOAD },
  // A lighter load, so the backlog of each outage drains between them; the spool is bounded as in production.
  { name: 'durability batch, collector going down too', durability: 'batch', runMs: [50, 2000], probes: 8, ratePerSecond: 250, collectorOutages: true, maxSpool: '32MiB' },
  // Long enough runs for a second `telem run` to start and give up while the first one works.
  { name: 'durability batch, a second agent started on the same root', durability: 'batch', runMs: [1000, 3000], secondAgent: true, ...LOAD },
  { name: 'durability batch, destination renamed between kills', durability: 'batch', runMs: [50, 2000], renameDestination: true, ...LOAD },
];

for (const { name, ...run } of runs) {
  test(`crash (long, ${name}): 20 kill -9 under load; 0 accepted records lost, re-sends bounded, nothing half-written`, { timeout: 300_000 }, async (t) => {
    const seed = chooseSeed();
    t.diagnostic(`seed ${seed} (replay with TELEM_RELIABILITY_SEED=${seed})`);
    const report = await runCrashScenario(t, { ...run, seed, kills: 20, drainTimeoutMs: 120_000, progress: (line) => t.diagnostic(line) });
    for (const line of formatCrashReport(report).split('\n')) t.diagnostic(line);
    assert.ok(report.accepted > 0, 'probes handed records over between the kills');
    assert.ok(report.rate >= run.ratePerSecond / 2, `the probes kept at least half the target rate (${report.rate}/s of ${run.ratePerSecond}/s)`);
    assert.deepEqual(crashVerdict(report), PASSING_VERDICT(report), `seed ${seed}: resent ${report.resent} (bound ${report.resentBound}); ${JSON.stringify(report.examples)}`);
  });
}
