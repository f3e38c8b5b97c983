/**
 * Migration 9 (logins) on a database a version-8 collector left, on each backend: the records stay,
 * the token and session tables start empty, and the database itself refuses two active tokens of
 * one name while a revoked name can be given again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../../engine/collector/storage/migrations.js';
import { BACKENDS, freshDatabase } from '../collector-helpers.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { createDatabaseAt, rawDatabase, vectorRecord } from './version-1.js';

for (const backend of BACKENDS) {
  test(`migration 9 on ${backend.name}: a version-8 database keeps its records and gets empty api_tokens and api_sessions`, { skip: backend.skip, timeout: 60_000 }, async (t) => {
    const fresh = await freshDatabase(t, backend);
    await createDatabaseAt(fresh, 8, [vectorRecord(Date.now() - 60_000)]);
    const { store } = await openStore(fresh);
    t.after(() => store.close());
    assert.equal((await store.list({ filter: {}, limit: 10 })).length, 1);
    assert.deepEqual(await store.auth.listTokens(), []);

    const db = await rawDatabase(fresh);
    t.after(() => db.close());
    const versions = (await db.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((row) => Number(row.version));
    assert.deepEqual(
      versions,
      MIGRATIONS.map((migration) => migration.version),
    );
    assert.deepEqual(await db.query('SELECT * FROM api_sessions'), []);
  });

  test(`migration 9 on ${backend.name}: the database refuses a second active token of a name; revoked, the name is free again`, { skip: backend.skip, timeout: 60_000 }, async (t) => {
    const fresh = await freshDatabase(t, backend);
    const { store } = await openStore(fresh);
    t.after(() => store.close());
    const first = await store.auth.createToken({ name: 'ci', role: 'read', digest: `sha256:${'a'.repeat(64)}` }, 1000);
    assert.equal(first?.name, 'ci');
    assert.equal(await store.auth.createToken({ name: 'ci', role: 'admin', digest: `sha256:${'b'.repeat(64)}` }, 2000), null);
    // Not only the store's own check: the partial unique index refuses the row.
    const db = await rawDatabase(fresh);
    t.after(() => db.close());
    await assert.rejects(
      db.query("INSERT INTO api_tokens (name, role, digest, created_at) VALUES ('ci', 'admin', ?, 2000)", [`sha256:${'b'.repeat(64)}`]),
      (error: Error & { code?: string }) => error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === '23505',
    );
    assert.equal((await store.auth.revokeToken('ci', 3000))?.revoked_at, 3000);
    const again = await store.auth.createToken({ name: 'ci', role: 'admin', digest: `sha256:${'c'.repeat(64)}` }, 4000);
    assert.notEqual(again?.id, first?.id);
    assert.deepEqual(
      (await store.auth.listTokens()).map((token) => [token.name, token.role, token.revoked_at]),
      [
        ['ci', 'read', 3000],
        ['ci', 'admin', null],
      ],
    );
  });
}
