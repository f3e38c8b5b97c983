/**
 * Migration 10 (crash group notes) on a database a version-9 collector left, on each backend: the
 * records and their signatures stay, every group starts without a note (shown, no comment), and the
 * database itself keeps one note per signature.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { BACKENDS, freshDatabase } from '../collector-helpers.js';
import { LIBC, crashprobePayload } from '../crash-payloads.js';
import { createDatabaseAt, rawDatabase, vectorRecord } from './version-1.js';

for (const backend of BACKENDS) {
  test(
    `migration 10 on ${backend.name}: a version-9 database keeps its crash groups, each without a note until one is set, one note per signature`,
    { skip: backend.skip, timeout: 60_000 },
    async (t) => {
      const fresh = await freshDatabase(t, backend);
      const payload = crashprobePayload([`raise() - ${LIBC}`, 'parse_config() - [/usr/bin/app]', 'main() - [/usr/bin/app]']);
      await createDatabaseAt(fresh, 9, [{ ...vectorRecord(Date.now() - 60_000, { classification: 'org.clearlinux/crash/clr' }), payload }]);
      const { store } = await openStore(fresh);
      t.after(() => store.close());
      assert.deepEqual(
        store.migrations.map((migration) => migration.version),
        [10],
      );
      const [group] = await store.crashes({ classification: ['*/crash/*'] }, 10);
      assert.deepEqual([group?.signature, group?.count, group?.hidden, group?.comment], ['parse_config | main', 1, false, null]);
      assert.equal((await store.crashGroup({ signature: 'parse_config | main', filter: {} }))?.note.hidden, false);

      assert.equal((await store.setCrashGroupNote('parse_config | main', { hidden: true, by: 'ops' }, 1000))?.hidden, true);
      const db = await rawDatabase(fresh);
      t.after(() => db.close());
      await assert.rejects(
        db.query("INSERT INTO crash_group_notes (signature, comment, hidden, updated_at, updated_by) VALUES ('parse_config | main', NULL, 0, 2000, 'x')"),
        (error: Error & { code?: string }) => error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === '23505',
      );
    },
  );
}
