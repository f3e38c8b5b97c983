/**
 * The builds and population views on each backend: GET /api/population counts records and machines
 * per build, OS, classification and machine and over creation time (not reception);
 * GET /api/machine-checks does the same for upstream's MCE classifications and, apart, thermal
 * events; bad parameters are 400s saying why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorAnswer, MachineChecksAnswer, PopulationAnswer } from '../../../engine/collector/query/answers.js';
import { BACKENDS, getJson, startTestCollector } from '../collector-helpers.js';
import { CREATED, DAY, postOnDay } from '../population-records.js';
import { call } from '../auth/logins.js';

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(`GET /api/population on ${backend.name}: records and machines per build and OS, and per day of creation; a machine moving from 39000 to 39010 shows in both`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    await postOnDay(collector, { machine_id: 'm1', build: '39000' }, 0);
    await postOnDay(collector, { machine_id: 'm1', build: '39000' }, 0);
    await postOnDay(collector, { machine_id: 'm2', build: '39000' }, 0);
    await postOnDay(collector, { machine_id: 'm1', build: '39010' }, 2);
    await postOnDay(collector, { machine_id: 'm3', build: '22.04', system_name: 'ubuntu' }, 2);

    const answer = await getJson<PopulationAnswer>(collector, '/api/population?bucket=1d');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const view = answer.body;
    assert.deepEqual([view.records, view.machines, view.first_created, view.last_created], [5, 3, (CREATED + 600) * 1000, (CREATED + 2 * DAY + 600) * 1000]);
    assert.deepEqual(
      view.by_build.map((row) => [row.system_name, row.build, row.records, row.machines]),
      [
        ['clear-linux-os', '39000', 3, 2],
        ['clear-linux-os', '39010', 1, 1],
        ['ubuntu', '22.04', 1, 1],
      ],
    );
    assert.deepEqual(view.by_system, [
      { system_name: 'clear-linux-os', records: 4, machines: 2 },
      { system_name: 'ubuntu', records: 1, machines: 1 },
    ]);
    assert.deepEqual(view.by_machine[0], { machine_id: 'm1', records: 3, builds: 2, last_created: (CREATED + 2 * DAY + 600) * 1000 });
    assert.deepEqual(
      view.over_time.buckets.map((bucket) => [bucket.start / 1000, bucket.records, bucket.machines, bucket.by_build, bucket.by_system]),
      [
        [CREATED, 3, 2, { '39000': { records: 3, machines: 2 } }, { 'clear-linux-os': { records: 3, machines: 2 } }],
        [CREATED + DAY, 0, 0, {}, {}],
        [
          CREATED + 2 * DAY,
          2,
          2,
          { '39010': { records: 1, machines: 1 }, '22.04': { records: 1, machines: 1 } },
          { 'clear-linux-os': { records: 1, machines: 1 }, ubuntu: { records: 1, machines: 1 } },
        ],
      ],
    );
    // The filters narrow it, a creation range as a zoom sets it.
    const zoomed = await getJson<PopulationAnswer>(collector, `/api/population?created_since=${CREATED + DAY}&system_name=clear-linux-os`);
    assert.deepEqual([zoomed.body.records, zoomed.body.by_build.map((row) => row.build)], [1, ['39010']]);
  });

  test(`GET /api/machine-checks on ${backend.name}: MCE records by kind, build and machine, thermal events apart; heartbeats are neither`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    await postOnDay(collector, { machine_id: 'm1', build: '39000', classification: 'org.clearlinux/mce/corrected' }, 0);
    await postOnDay(collector, { machine_id: 'm1', build: '39000', classification: 'org.clearlinux/mce/corrected' }, 1);
    await postOnDay(collector, { machine_id: 'm2', build: '39010', classification: 'org.clearlinux/mce/UCNA' }, 1);
    await postOnDay(collector, { machine_id: 'm3', build: '39010', classification: 'org.clearlinux/mce/thermal' }, 1);
    await postOnDay(collector, { machine_id: 'm4' }, 1);

    const answer = await getJson<MachineChecksAnswer>(collector, '/api/machine-checks?bucket=1d');
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const { mce, thermal } = answer.body;
    assert.deepEqual(mce.classification, ['org.clearlinux/mce/corrected', 'org.clearlinux/mce/SRAO', 'org.clearlinux/mce/SRAR', 'org.clearlinux/mce/UCNA']);
    assert.deepEqual([mce.records, mce.machines], [3, 2]);
    assert.deepEqual(mce.by_classification, [
      { classification: 'org.clearlinux/mce/corrected', records: 2, machines: 1 },
      { classification: 'org.clearlinux/mce/UCNA', records: 1, machines: 1 },
    ]);
    assert.deepEqual(
      mce.by_build.map((row) => [row.build, row.records]),
      [
        ['39000', 2],
        ['39010', 1],
      ],
    );
    assert.deepEqual(
      mce.by_machine.map((row) => [row.machine_id, row.records]),
      [
        ['m1', 2],
        ['m2', 1],
      ],
    );
    assert.deepEqual(
      mce.over_time.buckets.map((bucket) => [bucket.start / 1000, bucket.by_classification]),
      [
        [CREATED, { 'org.clearlinux/mce/corrected': { records: 1, machines: 1 } }],
        [CREATED + DAY, { 'org.clearlinux/mce/corrected': { records: 1, machines: 1 }, 'org.clearlinux/mce/UCNA': { records: 1, machines: 1 } }],
      ],
    );
    assert.deepEqual([thermal.classification, thermal.records, thermal.by_machine.map((row) => row.machine_id)], [['org.clearlinux/mce/thermal'], 1, ['m3']]);
    const m1 = await getJson<MachineChecksAnswer>(collector, '/api/machine-checks?machine_id=m1');
    assert.deepEqual([m1.body.mce.records, m1.body.thermal.records], [2, 0]);
  });

  test(`population views on ${backend.name}: a bad bucket, a classification for the machine checks, another method are 4xx saying why`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    assert.deepEqual(await getJson(collector, '/api/population?bucket=10s'), { status: 400, body: { message: 'bucket should be a duration of at least a minute, such as "1h"' } });
    assert.deepEqual(await getJson(collector, '/api/population?created_since=yesterday'), {
      status: 400,
      body: { message: 'created_since should be a date and time (2025-01-31T12:00:00Z), unix seconds, or a duration before now such as "15m"' },
    });
    const classification = await getJson<ErrorAnswer>(collector, '/api/machine-checks?classification=org.clearlinux/mce/*');
    assert.equal(classification.status, 400);
    assert.match(classification.body.message, /^unknown query parameter "classification"; known parameters: q, severity, /);
    const posted = await call(collector, '/api/population', { method: 'POST' });
    assert.deepEqual([posted.status, posted.headers.get('allow')], [405, 'GET, HEAD']);
  });
}
