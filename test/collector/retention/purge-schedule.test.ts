/** Retention runs by itself: once when the collector starts, then on its interval. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCollector } from '../../../engine/collector/collector.js';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { defaultCollectorSettings, purgePlan } from '../../../engine/collector/config/settings.js';
import { collectorSchema } from '../../../schemas/collector.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { schedulePurge } from '../../../engine/collector/retention/purge-schedule.js';
import { silentLogger } from '../../../engine/log/logger.js';
import { BACKENDS, freshDatabase, postV3, v3Body } from '../collector-helpers.js';

const DAY = 86_400_000;
const sqlite = BACKENDS[0] as (typeof BACKENDS)[number];

test('retention: a collector purges what the policy says is too old as soon as it starts', async (t) => {
  const { database } = await freshDatabase(t, sqlite);
  const settings = { ...defaultCollectorSettings(), listen: '127.0.0.1:0', database };
  const first = await startCollector({ settings });
  const recent = await postV3(first, v3Body({ classification: 'org.example/probe/recent' }, 'recent\n'));
  const [old] = await first.store.list({ filter: {}, limit: 1 });
  // The same record as if received 40 days ago (past the default max_age of 35 days).
  await first.store.insert([{ ...(old as IncomingRecord), received_at: Date.now() - 40 * DAY, payload: 'old\n' }]);
  await first.close();

  const second = await startCollector({ settings });
  t.after(() => second.close());
  // Nothing but the start-up run can purge here (the interval is an hour).
  let left = await second.store.list({ filter: {}, limit: 10 });
  for (let waited = 0; left.length > 1 && waited < 2000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = await second.store.list({ filter: {}, limit: 10 });
  }
  assert.deepEqual(
    left.map((record) => record.id),
    [recent.json().id],
  );
});

test('retention: each run applies per-classification ages (hello/world after a day by default)', async (t) => {
  const { database } = await freshDatabase(t, sqlite);
  const { store } = await openStore({ database });
  t.after(() => store.close());
  const base = {
    tenant: 't',
    protocol: 'v3',
    external: false,
    record_format_version: 4,
    severity: 1,
    machine_id: 'm',
    arch: 'x86_64',
    host_type: 'h',
    build: '1',
    kernel_version: '6.1.0',
    payload_format_version: 1,
    system_name: 's',
    board_name: 'b',
    cpu_model: 'c',
    bios_version: 'b',
    event_id: 'N/A',
  } as const;
  await store.insert([
    { ...base, received_at: Date.now(), classification: 'org.clearlinux/hello/world', creation_timestamp: 1, payload: 'hello' },
    { ...base, received_at: Date.now(), classification: 'org.example/probe/test', creation_timestamp: 2, payload: 'kept' },
  ]);
  const plan = { maxAgeMs: 35 * DAY, rules: [{ classification: 'org.clearlinux/hello/world', maxAgeMs: DAY }] };
  let now = Date.now();
  const schedule = schedulePurge({ store, plan, intervalMs: 60_000, logger: silentLogger, now: () => now });
  t.after(() => schedule.stop());
  assert.equal(await schedule.runNow(), 0);
  now += 2 * DAY;
  assert.equal(await schedule.runNow(), 1);
  assert.deepEqual(
    (await store.list({ filter: {}, limit: 10 })).map((record) => record.payload),
    ['kept'],
  );
});

test("retention: the policy's collector.retention section becomes the purge plan", () => {
  const settings = collectorSchema.parse({
    retention: {
      max_age: 'forever',
      rules: [
        { severity: 4, max_age: 'forever' },
        { classification: 'org.example/*', max_age: '2d' },
      ],
    },
  });
  assert.deepEqual(purgePlan(settings.retention), {
    maxAgeMs: null,
    rules: [
      { classification: '*', severity: 4, maxAgeMs: null },
      { classification: 'org.example/*', severity: undefined, maxAgeMs: 2 * DAY },
    ],
  });
  assert.deepEqual(purgePlan(defaultCollectorSettings().retention), {
    maxAgeMs: 35 * DAY,
    rules: [{ classification: 'org.clearlinux/hello/world', severity: undefined, maxAgeMs: DAY }],
  });
});
