/**
 * Migration 2 (records keyed on tenant, every header and payload) on databases a version-1
 * collector left, on each backend: the rows are kept and get their digest, and a real collector
 * started on the upgraded database tells retransmissions of old rows from other records of
 * their event.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { BACKFILL_BATCH, MIGRATIONS, MIGRATIONS_TABLE } from '../../../engine/collector/storage/migrations.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { recordDigest } from '../../../engine/collector/storage/rows.js';
import { BACKENDS, freshDatabase, postV2, startTestCollector, v2Headers } from '../collector-helpers.js';
import { createVersion1Database, rawDatabase, recordColumns, recordIndexes, vectorRecord } from './version-1.js';

// Recent, so the collector's retention purge at start keeps every row.
const T0 = Date.now() - 60_000;

/** Other records of the same event (distinct under version 1's key too), enough for several backfill batches. */
function eventRecords(count: number): IncomingRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    ...vectorRecord(T0),
    classification: 'org.clearlinux/bulk/record',
    severity: 1 + (index % 4),
    creation_timestamp: 1_700_000_001 + index,
    received_at: T0 + index,
  }));
}

for (const backend of BACKENDS) {
  const options = { skip: backend.skip };

  test(
    `migration 2 on ${backend.name}: a version-1 database keeps its rows with their digests filled, and a collector on it answers an old row's resend as a duplicate and stores its classification variant`,
    options,
    async (t) => {
      const fresh = await freshDatabase(t, backend);
      const bulk = eventRecords(2 * BACKFILL_BATCH + 7);
      await createVersion1Database(fresh, [vectorRecord(T0), ...bulk]);
      const before = await rawDatabase(fresh);
      // Purged rows leave gaps in the ids, and the highest id is gone too (ids are never reused).
      await before.query('DELETE FROM records WHERE id BETWEEN ? AND ?', [300, 420]);
      const [{ highest } = {}] = await before.query('SELECT MAX(id) AS highest FROM records');
      await before.query('DELETE FROM records WHERE id = ?', [highest]);
      const keptIds = (await before.query('SELECT id FROM records ORDER BY id')).map((row) => Number(row.id));
      await before.close();
      assert.equal(keptIds.length, 1 + bulk.length - 121 - 1);

      const collector = await startTestCollector(t, { backend, database: fresh });

      const db = await rawDatabase(fresh);
      t.after(() => db.close());
      const versions = await db.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`);
      assert.deepEqual(
        versions.map((row) => Number(row.version)),
        MIGRATIONS.map((migration) => migration.version),
        'every migration from 2 on is applied',
      );
      const columns = await recordColumns(db, backend.name);
      assert.ok(columns.includes('record_sha256') && !columns.includes('payload_sha256'), columns.join(', '));
      const indexes = await recordIndexes(db, backend.name);
      assert.ok(!indexes.includes('records_dedup'), indexes.join(', '));
      // Migration 6 moved PostgreSQL's unique key to record_keys (partitions.ts); SQLite keeps it on records.
      if (backend.name === 'sqlite') assert.ok(indexes.includes('records_record_sha256'), indexes.join(', '));
      else assert.equal((await db.query('SELECT COUNT(*) AS count FROM record_keys'))[0]?.count, String(keptIds.length));
      const rows = await db.query('SELECT * FROM records ORDER BY id');
      assert.deepEqual(
        rows.map((row) => Number(row.id)),
        keptIds,
        'every row is kept, with its id',
      );
      for (const row of rows) assert.equal(row.record_sha256, recordDigest(row), `row ${String(row.id)}'s digest`);
      assert.equal(new Set(rows.map((row) => row.record_sha256)).size, rows.length);

      const resend = await postV2(collector, v2Headers());
      assert.equal(resend.status, 201);
      assert.equal(resend.headers['x-telem-duplicate'], 'true', 'a retransmission of a version-1 row is recognised');
      assert.equal(resend.json().id, keptIds[0]);
      assert.equal(resend.json().received_at, new Date(T0).toISOString(), 'answered with the stored row');

      const variant = await postV2(collector, v2Headers({ classification: 'org.clearlinux/hello/again' }));
      assert.equal(variant.status, 201);
      assert.equal(variant.headers['x-telem-duplicate'], undefined);
      assert.equal(variant.json().classification, 'org.clearlinux/hello/again');
      assert.ok((variant.json().id as number) > Number(highest), 'a new row gets an id above every id ever used');

      const bulkResend = await postV2(collector, v2Headers({ classification: 'org.clearlinux/bulk/record', severity: '2', creation_timestamp: '1700000002' }));
      assert.equal(bulkResend.headers['x-telem-duplicate'], 'true');
      assert.equal(bulkResend.json().id, keptIds[2]);
      assert.equal((await collector.store.list({ filter: {}, limit: 5000 })).length, keptIds.length + 1);
    },
  );

  test(`migration 2 on ${backend.name}: version-1 rows equal in every field fail the migration with a message, and the database stays at version 1 with both rows`, options, async (t) => {
    const fresh = await freshDatabase(t, backend);
    // Version 1's key included the payload digest, so rows with a wrong one could coexist.
    await createVersion1Database(fresh, [vectorRecord(T0), { ...vectorRecord(T0), payloadSha256: 'f'.repeat(64) }]);

    await assert.rejects(openStore(fresh), (error: Error) => {
      assert.match(error.message, /^cannot open .*: migration 2 \(records keyed on tenant, every header and payload \(record_sha256\)\) failed: /);
      assert.match(error.message, /failed: 2 stored records \(ids 1 to 2 among them\) are equal in tenant, every header and payload; the unique record key cannot be created/);
      return true;
    });

    const db = await rawDatabase(fresh);
    t.after(() => db.close());
    assert.deepEqual(
      (await db.query(`SELECT version FROM ${MIGRATIONS_TABLE}`)).map((row) => Number(row.version)),
      [1],
    );
    const columns = await recordColumns(db, backend.name);
    assert.ok(columns.includes('payload_sha256') && !columns.includes('record_sha256'), columns.join(', '));
    assert.ok((await recordIndexes(db, backend.name)).includes('records_dedup'));
    assert.equal((await db.query('SELECT id FROM records')).length, 2);
  });
}
