/**
 * Migration 8 on a database a version-7 collector left: every stored crash record gets its frames
 * and signature from its payload, in batches, the others none; the skip list starts as the default
 * one at version 1; the collector says what it did in its log; the crash view groups the old records
 * by signature at once.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { startCollector } from '../../../engine/collector/collector.js';
import { defaultCollectorSettings } from '../../../engine/collector/config/settings.js';
import { crashingThreadFrames, framesText } from '../../../engine/collector/crash/frames.js';
import { DEFAULT_SKIP_RULES } from '../../../engine/collector/crash/skip-rules.js';
import { BATCH } from '../../../engine/collector/storage/crash-rules-sql.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../../engine/collector/storage/migrations.js';
import { BACKENDS, freshDatabase } from '../collector-helpers.js';
import { KERNEL_WARNING, LIBC, crashprobePayload } from '../crash-payloads.js';
import { incomingRecord } from '../incoming-records.js';
import { createDatabaseAt, rawDatabase, recordColumns, recordIndexes } from './version-1.js';

const CRASHES = 2 * BATCH + 3;

for (const backend of BACKENDS) {
  test(
    `migration 8 on ${backend.name}: a version-7 database's crash records get frames and a signature in batches, the skip list starts as the default at version 1, and the log says so`,
    { skip: backend.skip, timeout: 120_000 },
    async (t) => {
      const fresh = await freshDatabase(t, backend);
      const culprits = ['parse_config', 'load_plugin', 'render_frame'];
      const records = [
        ...Array.from({ length: CRASHES }, (_, index) =>
          incomingRecord(index, {
            classification: 'org.clearlinux/crash/clr',
            payload: crashprobePayload([`raise() - ${LIBC}`, `${culprits[index % 3] as string}() - [/usr/bin/app]`, 'main() - [/usr/bin/app]']),
          }),
        ),
        incomingRecord(CRASHES, { classification: 'org.clearlinux/kernel/warning', payload: KERNEL_WARNING }),
        incomingRecord(CRASHES + 1, { classification: 'org.clearlinux/hello/world', payload: 'hello\n' }),
      ];
      await createDatabaseAt(fresh, 7, records);

      const lines: Record<string, unknown>[] = [];
      const logger = pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
            done();
          },
        }),
      );
      const collector = await startCollector({
        settings: { ...defaultCollectorSettings(), listen: '127.0.0.1:0', database: fresh.database },
        ...(fresh.schema === undefined ? {} : { schema: fresh.schema }),
        logger,
      });
      t.after(() => collector.close());
      const note = `${CRASHES + 1} crash records given frames and a signature, in 3 batches of at most ${BATCH}`;
      assert.deepEqual(
        collector.store.migrations.filter(({ version }) => version === 8).map(({ version, name, note }) => ({ version, name, note })),
        [{ version: 8, name: MIGRATIONS[7]?.name, note }],
      );
      const logged = lines.find((line) => line.version === 8);
      assert.equal(logged?.msg, 'database migrated: crash signatures: records.frames and records.signature, crash_skip_rules with its version');
      assert.equal(logged?.note, note);

      const db = await rawDatabase(fresh);
      t.after(() => db.close());
      assert.deepEqual(
        (await db.query(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`)).map((row) => Number(row.version)),
        MIGRATIONS.map((migration) => migration.version),
      );
      const columns = await recordColumns(db, backend.name);
      assert.deepEqual(columns.slice(-2), ['frames', 'signature']);
      const indexes = await recordIndexes(db, backend.name);
      assert.ok(indexes.includes('records_signature') && indexes.includes('records_frames'), indexes.join(', '));

      const rows = await db.query('SELECT payload, frames, signature FROM records ORDER BY id');
      assert.equal(rows.length, records.length);
      rows.forEach((row, index) => {
        const payload = records[index]?.payload as string;
        assert.equal(row.payload, payload, 'payloads are not touched');
        assert.equal(row.frames, framesText(crashingThreadFrames(payload)), `row ${index}'s frames`);
      });
      assert.deepEqual(
        rows.slice(0, 3).map((row) => row.signature),
        ['parse_config | main', 'load_plugin | main', 'render_frame | main'],
      );
      assert.equal(rows.at(-2)?.signature, 'dev_watchdog | call_timer_fn | run_timer_softirq');
      assert.deepEqual([rows.at(-1)?.frames, rows.at(-1)?.signature], [null, null], 'a record without frames has neither');

      const rules = await collector.store.crashRules();
      assert.equal(rules.version, 1);
      assert.deepEqual(
        rules.rules.map(({ pattern, note }) => ({ pattern, note })),
        DEFAULT_SKIP_RULES,
      );

      const groups = await collector.store.crashes({ classification: ['*/crash/*', 'org.clearlinux/kernel/*'] }, 10);
      assert.deepEqual(
        groups.map((group) => [group.signature, group.count]),
        [
          ['parse_config | main', 335],
          // Equal counts: the group received last first.
          ['render_frame | main', 334],
          ['load_plugin | main', 334],
          ['dev_watchdog | call_timer_fn | run_timer_softirq', 1],
        ],
      );
    },
  );
}
