/** Which real driver errors mean "the database cannot be reached" (503) and which are anything else (500). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isUnavailable } from '../../../engine/collector/storage/unavailable.js';
import { tempDir } from '../../helpers/tmp.js';
import { POSTGRES_SKIP, POSTGRES_URL } from '../collector-helpers.js';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  return assert.fail('expected a rejection');
}

function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  return assert.fail('expected an error');
}

test('unavailable on sqlite: a database locked by another connection or a file that cannot be opened is unavailable; a missing table is not', async (t) => {
  const file = path.join(await tempDir(t), 'locked.db');
  const holder = new Database(file);
  holder.exec('CREATE TABLE records (id INTEGER)');
  const reader = new Database(file);
  t.after(() => {
    reader.close();
    holder.close();
  });
  reader.pragma('busy_timeout = 0');
  // In the rollback-journal mode an exclusive transaction keeps every reader out.
  holder.exec('BEGIN EXCLUSIVE');
  const busy = thrown(() => reader.prepare('SELECT count(*) FROM records').get());
  assert.equal((busy as NodeJS.ErrnoException).code, 'SQLITE_BUSY');
  assert.equal(isUnavailable(busy), true);
  holder.exec('COMMIT');

  // A directory where the database file should be.
  const cantOpen = thrown(() => new Database(path.dirname(file)));
  assert.equal((cantOpen as NodeJS.ErrnoException).code, 'SQLITE_CANTOPEN');
  assert.equal(isUnavailable(cantOpen), true);

  const noTable = thrown(() => reader.prepare('SELECT * FROM nothing_here').get());
  assert.equal(isUnavailable(noTable), false);
});

test('unavailable on postgres: a refused connection and a terminated backend are unavailable; bad SQL and an unknown database are not', { skip: POSTGRES_SKIP }, async () => {
  const closedPort = new URL(POSTGRES_URL as string);
  closedPort.port = '1';
  const refused = await rejection(new pg.Client({ connectionString: closedPort.toString() }).connect());
  assert.equal(isUnavailable(refused), true, `${refused.message}`);

  const victim = new pg.Client({ connectionString: POSTGRES_URL });
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await Promise.all([victim.connect(), admin.connect()]);
  victim.on('error', () => undefined);
  try {
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const sleeping = rejection(victim.query('SELECT pg_sleep(30)'));
    // Terminate once the sleep is running.
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const active = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid]);
      if (active.rowCount) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const terminated = await sleeping;
    assert.equal((terminated as NodeJS.ErrnoException).code, '57P01', terminated.message);
    assert.equal(isUnavailable(terminated), true);
    const afterwards = await rejection(victim.query('SELECT 1'));
    assert.equal(isUnavailable(afterwards), true, afterwards.message);

    const syntax = await rejection(admin.query('SELEC 1'));
    assert.equal((syntax as NodeJS.ErrnoException).code, '42601');
    assert.equal(isUnavailable(syntax), false);
  } finally {
    await admin.end();
    await victim.end().catch(() => undefined);
  }

  const url = new URL(POSTGRES_URL as string);
  url.pathname = '/telem_no_such_database';
  const unknown = await rejection(new pg.Client({ connectionString: url.toString() }).connect());
  assert.equal((unknown as NodeJS.ErrnoException).code, '3D000');
  assert.equal(isUnavailable(unknown), false, 'a database that does not exist is a setting to fix, not an outage');
});
