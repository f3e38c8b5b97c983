/**
 * The fleet table on each backend: status records keep the latest status per machine (tenant and
 * machine id; latest creation time, then the one stored last), in the transaction that stores them;
 * a status record whose payload is not a status is stored and left out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetAnswer, RecordsPage } from '../../../engine/collector/query/answers.js';
import { STATUS_CLASSIFICATION } from '../../../engine/collector/fleet/states.js';
import { startCollector } from '../../../engine/collector/collector.js';
import { defaultCollectorSettings } from '../../../engine/collector/config/settings.js';
import { capturingLogger } from '../../helpers/intake.js';
import { type Backend, BACKENDS, UPSTREAM_TID, freshDatabase, getJson, postV3, startTestCollector } from '../collector-helpers.js';
import { postStatus, statusBody, statusPayload } from '../status-records.js';
import { vectorRecord } from './version-1.js';

const OTHER_TID = 'fleet-test-tenant-b';
// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;

const summary = (answer: FleetAnswer) => answer.machines.map(({ machine_id, tenant, active, state, desired }) => ({ machine_id, tenant, active, state, desired }));

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `fleet on ${backend.name}: the latest status per machine and tenant wins; an older one arriving later does not replace it, a later one with the same creation time does`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, {
        backend,
        settings: {
          tenants: [
            { tid: UPSTREAM_TID, tokens: [] },
            { tid: OTHER_TID, tokens: [] },
          ],
        },
      });
      await postStatus(collector, { machine: 'aaaa', created: T, active: 12, desired: 13, state: 'downloading' });
      await postStatus(collector, { machine: 'aaaa', created: T + 60, active: 13, previous: 12, state: 'healthy' });
      // Late: created before the one stored.
      await postStatus(collector, { machine: 'aaaa', created: T + 30, active: 12, desired: 13, state: 'applying' });
      let fleet = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
      assert.deepEqual(summary(fleet), [{ machine_id: 'aaaa', tenant: UPSTREAM_TID, active: 13, state: 'healthy', desired: null }]);
      assert.equal(fleet.machines[0]?.seen_at, new Date((T + 60) * 1000).toISOString());

      // Same creation time, stored later: it is the newer one.
      await postStatus(collector, { machine: 'aaaa', created: T + 60, active: 12, previous: 13, state: 'rolled_back', lastFailed: { sequence: 13, reason: 'health: intake down' } });
      // The same machine id under another tenant is another machine.
      const other = await postV3(collector, statusBody({ machine: 'aaaa', created: T, active: 7, state: 'healthy' }), { 'X-Telemetry-TID': OTHER_TID });
      assert.equal(other.status, 201);
      fleet = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
      assert.deepEqual(
        summary(fleet).sort((a, b) => a.tenant.localeCompare(b.tenant)),
        [
          { machine_id: 'aaaa', tenant: UPSTREAM_TID, active: 12, state: 'rolled_back', desired: null },
          { machine_id: 'aaaa', tenant: OTHER_TID, active: 7, state: 'healthy', desired: null },
        ].sort((a, b) => a.tenant.localeCompare(b.tenant)),
      );
      assert.deepEqual(fleet.machines.find((machine) => machine.tenant === UPSTREAM_TID)?.last_failed, { sequence: 13, reason: 'health: intake down' });

      // Statuses of one machine in one batch (as the batcher writes records that arrive together): the latest of them wins.
      const created = [T + 500, T + 900, T + 700, T + 100];
      const batch = created.map((at) => ({
        ...vectorRecord(Date.now(), { classification: STATUS_CLASSIFICATION, machine_id: 'bbbb', creation_timestamp: String(at) }, 'v3'),
        payload: statusPayload({ active: at - T }),
      }));
      assert.equal((await collector.store.insert(batch)).filter((result) => !result.duplicate).length, 4);
      fleet = (await getJson<FleetAnswer>(collector, '/api/fleet?channel=stable')).body;
      assert.equal(fleet.machines.find((machine) => machine.machine_id === 'bbbb')?.active, 900);
      // Every status record is also a record.
      const records = (await getJson<RecordsPage>(collector, `/api/records?classification=${encodeURIComponent(STATUS_CLASSIFICATION)}&limit=100`)).body;
      assert.equal(records.records.length, 9);
    },
  );

  test(`fleet on ${backend.name}: statuses of a few machines sent all at once (batches written side by side) leave each machine's latest`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const machines = ['m0', 'm1', 'm2', 'm3'];
    // Creation times shuffled so the latest is neither the first nor the last sent.
    const offsets = Array.from({ length: 15 }, (_, index) => (index * 7) % 15);
    await Promise.all(machines.flatMap((machine) => offsets.map((offset) => postStatus(collector, { machine, created: T + offset, active: 100 + offset, state: 'healthy' }))));
    const fleet = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
    assert.deepEqual(
      fleet.machines.map(({ machine_id, active }) => [machine_id, active]),
      machines.map((machine) => [machine, 114]),
    );
  });

  test(`fleet on ${backend.name}: a status record whose payload is not a status is stored (201) and left out of the fleet`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    await postStatus(collector, { machine: 'cccc', created: T, active: 5, state: 'healthy' });
    const notJson = await postStatus(collector, { machine: 'cccc', created: T + 10 }, 'state: failed\n');
    const badState = await postStatus(
      collector,
      { machine: 'dddd', created: T },
      JSON.stringify({ format_version: 1, agent_version: '0.1.0', policy: { channel: 'stable', active: 1, previous: null, desired: null, state: 'exploded', last_failed: null } }),
    );
    // Created long after it was received: a clock that is wrong would hold the machine's status forever.
    const ahead = await postStatus(collector, { machine: 'cccc', created: Math.trunc(Date.now() / 1000) + 2 * 86_400, active: 6, state: 'failed' });
    for (const response of [notJson, badState, ahead]) {
      const stored = (await getJson(collector, `/api/records/${String(response.json().id)}`)).body;
      assert.equal(stored.classification, STATUS_CLASSIFICATION);
    }
    const fleet = (await getJson<FleetAnswer>(collector, '/api/fleet')).body;
    assert.deepEqual(summary(fleet), [{ machine_id: 'cccc', tenant: UPSTREAM_TID, active: 5, state: 'healthy', desired: null }]);
    assert.equal(fleet.total_machines, 1);

    // The store says why, for the collector's counted warning; a record of another class is no status at all.
    const [invalid, other] = await collector.store.insert([
      { ...vectorRecord(Date.now(), { classification: STATUS_CLASSIFICATION, machine_id: 'eeee' }), payload: '{"format_version": 2}' },
      vectorRecord(Date.now(), { classification: 'org.example/agent/status' }),
    ]);
    assert.match(invalid?.invalid_status ?? '', /format_version/);
    assert.equal(other?.invalid_status, undefined);
  });
}

test('fleet: status records left out of the fleet are counted in one warning, each reason logged at debug level', { timeout: 60_000 }, async (t) => {
  const { logger, lines } = capturingLogger();
  const fresh = await freshDatabase(t, BACKENDS[0] as Backend);
  const collector = await startCollector({ settings: { ...defaultCollectorSettings(), listen: '127.0.0.1:0', database: fresh.database }, logger });
  t.after(() => collector.close());
  await postStatus(collector, { machine: 'ffff', created: T }, 'not a status');
  await postStatus(collector, { machine: 'ffff', created: T + 1 }, '{"format_version": 1}');
  await collector.close();
  const logged = lines();
  const warnings = logged.filter((line) => String(line.msg).startsWith('status records stored but left out of the fleet view'));
  assert.equal(
    warnings.reduce((total, line) => total + Number(line.count), 0),
    2,
    JSON.stringify(warnings),
  );
  assert.ok(warnings.every((line) => line.level === 40 && line.classification === STATUS_CLASSIFICATION));
  const reasons = logged.filter((line) => line.msg === 'status record left out of the fleet view').map((line) => line.reason);
  assert.equal(reasons.length, 2);
  assert.match(String(reasons[0]), /^the payload is not JSON/);
  assert.match(String(reasons[1]), /^agent_version: /);
});
