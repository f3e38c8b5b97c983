/**
 * Migration 4 (the fleet table) on a database a version-3 collector left, on each backend: the
 * records are kept, the fleet table is filled from the status records already stored (the latest per
 * machine; payloads that are not a status left out), and a collector on it goes on updating it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STATUS_CLASSIFICATION } from '../../../engine/collector/fleet/states.js';
import type { FleetAnswer } from '../../../engine/collector/query/answers.js';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../../engine/collector/storage/migrations.js';
import { BACKENDS, freshDatabase, getJson, startTestCollector } from '../collector-helpers.js';
import { postStatus, statusPayload } from '../status-records.js';
import { createDatabaseAt, rawDatabase, vectorRecord } from './version-1.js';

const T0 = Date.now() - 60_000;
// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;

function status(machine: string, created: number, payload: string): IncomingRecord {
  return { ...vectorRecord(T0 + created - T, { classification: STATUS_CLASSIFICATION, machine_id: machine, creation_timestamp: String(created) }, 'v3'), payload };
}

for (const backend of BACKENDS) {
  test(
    `migration 4 on ${backend.name}: a version-3 database gets the fleet table, filled from the status records it holds, and a collector on it keeps it up to date`,
    { skip: backend.skip, timeout: 60_000 },
    async (t) => {
      const fresh = await freshDatabase(t, backend);
      const records = [
        status('m1', T + 20, statusPayload({ active: 13, state: 'healthy' })),
        // Stored after, created before: not the latest.
        status('m1', T + 10, statusPayload({ active: 12, desired: 13, state: 'applying' })),
        status('m2', T, statusPayload({ active: 12, state: 'failed', lastFailed: { sequence: 13, reason: 'bundle-signature: bad' } })),
        status('m3', T, 'not a status'),
        vectorRecord(T0),
      ];
      await createDatabaseAt(fresh, 3, records);
      const before = await rawDatabase(fresh);
      assert.deepEqual(
        (await before.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((row) => Number(row.version)),
        [1, 2, 3],
      );
      await before.close();

      const collector = await startTestCollector(t, { backend, database: fresh });
      const after = await rawDatabase(fresh);
      t.after(() => after.close());
      assert.deepEqual(
        (await after.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((row) => Number(row.version)),
        MIGRATIONS.map((migration) => migration.version),
      );
      assert.equal((await collector.store.list({ filter: {}, limit: 100 })).length, records.length, 'every record is kept');

      const fleet = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
      assert.deepEqual(
        fleet.machines.map(({ machine_id, active, state, last_failed }) => ({ machine_id, active, state, last_failed })),
        [
          { machine_id: 'm1', active: 13, state: 'healthy', last_failed: null },
          { machine_id: 'm2', active: 12, state: 'failed', last_failed: { sequence: 13, reason: 'bundle-signature: bad' } },
        ],
      );

      await postStatus(collector, { machine: 'm1', created: T + 15, active: 11, state: 'healthy' });
      await postStatus(collector, { machine: 'm2', created: T + 30, active: 13, state: 'healthy' });
      const updated = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
      assert.deepEqual(
        updated.machines.map(({ machine_id, active }) => [machine_id, active]),
        [
          ['m1', 13],
          ['m2', 13],
        ],
      );
    },
  );
}
