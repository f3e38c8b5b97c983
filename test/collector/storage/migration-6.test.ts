/**
 * Migration 6 on a database a version-5 collector left: on PostgreSQL the records table becomes
 * partitioned by day of reception with every row kept (ids, fields, keys), old rows sharing one
 * partition, ids continuing after the old sequence, duplicates of old rows still found and the
 * fleet table (which names record ids) still right; on SQLite nothing changes but the version.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STATUS_CLASSIFICATION } from '../../../engine/collector/fleet/states.js';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../../engine/collector/storage/migrations.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { BACKFILL_DAYS } from '../../../engine/collector/storage/partition-migration.js';
import { DAY_MS, dayStart, listPartitions, partitionName } from '../../../engine/collector/storage/partitions.js';
import { BACKENDS, freshDatabase } from '../collector-helpers.js';
import { statusPayload } from '../status-records.js';
import { createDatabaseAt, rawDatabase, vectorRecord } from './version-1.js';

const NOW = Date.now();
const at = (daysAgo: number, index: number): IncomingRecord => vectorRecord(NOW - daysAgo * DAY_MS, { event_id: index.toString(16).padStart(32, '0') });

for (const backend of BACKENDS) {
  test(
    `migration 6 on ${backend.name}: a version-5 database keeps every row, id and key; on PostgreSQL they are partitioned by day and a collector on it goes on deduplicating and counting ids`,
    { skip: backend.skip, timeout: 60_000 },
    async (t) => {
      const fresh = await freshDatabase(t, backend);
      const status = {
        ...vectorRecord(NOW - 60_000, { classification: STATUS_CLASSIFICATION, machine_id: 'm1', creation_timestamp: String(Math.trunc(NOW / 1000) - 60) }, 'v3'),
        payload: statusPayload({ active: 13 }),
      };
      const records = [at(100, 1), at(BACKFILL_DAYS + 1, 2), at(3, 3), at(3, 4), status, at(0, 5), at(0, 6)];
      // Stored by a version-3 collector, then upgraded to 5 (whose backfill fills the fleet table from them).
      await createDatabaseAt(fresh, 3, records);
      await createDatabaseAt(fresh, 5, []);
      const before = await rawDatabase(fresh);
      // The newest row purged: the sequence is past the largest id, and ids are never reused.
      const [newest] = await before.query('SELECT MAX(id) AS id FROM records');
      await before.query('DELETE FROM records WHERE id = ?', [newest?.id]);
      const rowsBefore = await before.query('SELECT * FROM records ORDER BY id');
      await before.close();

      const { store } = await openStore(fresh);
      t.after(() => store.close());
      const db = await rawDatabase(fresh);
      t.after(() => db.close());
      assert.deepEqual(
        (await db.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((row) => Number(row.version)),
        MIGRATIONS.map((migration) => migration.version),
      );
      // Migration 8 adds columns after (frames, signature: null for these payloads without frames).
      const rowsAfter = (await db.query('SELECT * FROM records ORDER BY id')).map(({ frames, signature, ...row }) => {
        assert.deepEqual([frames, signature], [null, null]);
        return row;
      });
      assert.deepEqual(rowsAfter, rowsBefore, 'every row is kept, field for field, with its id');

      if (backend.name === 'postgres') {
        const partitions = await listPartitions(db);
        const today = dayStart(NOW);
        const daily = today - BACKFILL_DAYS * DAY_MS;
        assert.deepEqual(partitions[0], { name: `records_before_${partitionName(daily).slice('records_'.length)}`, from: dayStart(NOW - 100 * DAY_MS), to: daily });
        assert.equal(partitions[1]?.name, partitionName(daily));
        assert.ok(partitions.some((partition) => partition.name === partitionName(today + 7 * DAY_MS)));
        const count = async (table: string) => Number((await db.query(`SELECT COUNT(*) AS count FROM ${table}`))[0]?.count);
        assert.equal(await count(partitions[0]?.name as string), 2, 'the rows older than the daily partitions share one');
        assert.equal(await count(partitionName(dayStart(NOW - 3 * DAY_MS))), 2);
        assert.equal(await count('records_default'), 0);
        assert.equal(await count('record_keys'), rowsBefore.length);
        assert.equal(
          await count(`(SELECT 1 FROM record_keys k JOIN records r ON r.id = k.id AND r.received_at = k.received_at AND r.record_sha256 = k.record_sha256) AS matched`),
          rowsBefore.length,
        );
      }

      // A resend of the oldest row is a duplicate answered with it; a new record gets an id past the purged one.
      const [old, fresh7] = await store.insert([{ ...at(100, 1), received_at: NOW }, at(0, 7)]);
      assert.equal(old?.duplicate, true);
      assert.equal(old?.record.id, Number(rowsBefore[0]?.id));
      assert.equal(fresh7?.duplicate, false);
      assert.ok((fresh7?.record.id as number) > Number(newest?.id), `id ${fresh7?.record.id} after ${String(newest?.id)}`);
      // The fleet table keeps naming the status record's row.
      const fleet = await store.fleet({ limit: 10 });
      assert.deepEqual(
        fleet.machines.map((machine) => [machine.machine_id, machine.active]),
        [['m1', 13]],
      );
      const [statusRow] = await db.query('SELECT record_id FROM fleet_status');
      assert.equal((await store.get(Number(statusRow?.record_id)))?.classification, STATUS_CLASSIFICATION);
    },
  );
}
