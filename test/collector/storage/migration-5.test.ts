/**
 * Migration 5 (staged rollouts) on a database a version-4 collector left, on each backend: the
 * rollout tables are filled from the status records already stored (the latest rollout fields per
 * machine, counters summed per arm, payloads without a rollout left out), and the halt rules run
 * on what a collector on it stores next.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { STATUS_CLASSIFICATION } from '../../../engine/collector/fleet/states.js';
import type { ControlDocument, FleetAnswer } from '../../../engine/collector/query/answers.js';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../../engine/collector/storage/migrations.js';
import { BACKENDS, freshDatabase, getJson, startTestCollector } from '../collector-helpers.js';
import { postStatus, statusPayload } from '../status-records.js';
import { createDatabaseAt, rawDatabase, vectorRecord } from './version-1.js';

const T0 = Date.now() - 60_000;
// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;
const begins = new Date((T - 600) * 1000).toISOString();
const SPEC = {
  start: begins,
  deadline: null,
  steps: [{ percent: 50, bake: 3_600_000, max_failure_rate: 0.4, begins }],
  gates: { max_delivery_failure_ratio: 0.2, max_drops: { '*': 0 }, max_spool_growth: 1024, max_restarts: 2, compare_factor: 2 },
};

function rollout(arm: 'candidate' | 'stable', state: string, gate: unknown = null) {
  return { id: 'backfilled', sequence: 4, arm, step: 0, state, gate, spec: SPEC };
}

const counters = (accepted: number) => ({ accepted, delivered: accepted, failed: 0, dropped: {} });

function status(machine: string, created: number, payload: string): IncomingRecord {
  return { ...vectorRecord(T0 + created - T, { classification: STATUS_CLASSIFICATION, machine_id: machine, creation_timestamp: String(created) }, 'v3'), payload };
}

for (const backend of BACKENDS) {
  test(
    `migration 5 on ${backend.name}: a version-4 database gets the rollout tables, filled from the status records it holds, and the halt rules run on what comes next`,
    { skip: backend.skip, timeout: 60_000 },
    async (t) => {
      const fresh = await freshDatabase(t, backend);
      const records = [
        status('c1', T, statusPayload({ counters: counters(5), rollout: rollout('candidate', 'baking') })),
        status('c1', T + 10, statusPayload({ counters: counters(3), rollout: rollout('candidate', 'healthy') })),
        status('c2', T, statusPayload({ counters: counters(2), rollout: rollout('candidate', 'baking') })),
        status('s1', T, statusPayload({ counters: counters(7), rollout: rollout('stable', 'waiting') })),
        // Before staged rollouts: no rollout, in no rollout table.
        status('old', T, statusPayload({ active: 3 })),
        vectorRecord(T0),
      ];
      await createDatabaseAt(fresh, 4, records);

      const collector = await startTestCollector(t, { backend, database: fresh });
      const after = await rawDatabase(fresh);
      t.after(() => after.close());
      assert.deepEqual(
        (await after.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((row) => Number(row.version)),
        MIGRATIONS.map((migration) => migration.version),
      );
      const view = (await getJson<FleetAnswer>(collector, '/api/fleet')).body.rollouts;
      assert.equal(view.length, 1);
      assert.equal(view[0]?.machines, 3);
      assert.deepEqual(view[0]?.steps[0]?.machines, { candidate: { healthy: 1, baking: 1 }, stable: { waiting: 1 } });
      assert.deepEqual([view[0]?.arms.candidate.accepted, view[0]?.arms.stable.accepted], [10, 7]);

      // c2 rolls back: 1 of 2 candidates, above 40%.
      await postStatus(collector, { machine: 'c2', created: T + 20, rollout: rollout('candidate', 'rolled_back', { name: 'spool_growth', value: 2048, threshold: 1024 }) });
      const deadline = Date.now() + 5000;
      let control: ControlDocument;
      do {
        control = (await getJson<ControlDocument>(collector, '/fleet/stable/control')).body;
        if (control.rollouts.backfilled?.halted) break;
        await sleep(50);
      } while (Date.now() < deadline);
      assert.equal(control.rollouts.backfilled?.reason, 'step 0: 1 of 2 machines failed or rolled back (50% > max_failure_rate 40%)');
    },
  );
}
