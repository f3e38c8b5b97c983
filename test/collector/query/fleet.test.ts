/** GET /api/fleet on each backend: machines by channel, sequence and state, failure reasons, filters, limits and errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetAnswer } from '../../../engine/collector/query/answers.js';
import { BACKENDS, UPSTREAM_TID, getJson, startTestCollector } from '../collector-helpers.js';
import { postStatus } from '../status-records.js';

// An hour ago: status records created after their reception by more than a day are left out.
const T = Math.trunc(Date.now() / 1000) - 3600;
const SIGNATURE = 'bundle-signature: no trusted key signed bundle 13';

for (const backend of BACKENDS) {
  test(
    `GET /api/fleet on ${backend.name}: machines per channel and sequence by state, failure reasons on the sequence that failed, filters and limits`,
    { skip: backend.skip, timeout: 60_000 },
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      const empty = await getJson<FleetAnswer>(collector, '/api/fleet');
      assert.deepEqual(empty, { status: 200, body: { format_version: 1, total_machines: 0, channels: [], machines: [], rollouts: [] } });

      await postStatus(collector, { machine: 'm1', created: T, active: 13, previous: 12, state: 'healthy' });
      await postStatus(collector, { machine: 'm2', created: T + 1, active: 13, previous: 12, state: 'healthy' });
      await postStatus(collector, { machine: 'm3', created: T + 2, active: 12, desired: 13, state: 'failed', lastFailed: { sequence: 13, reason: SIGNATURE } });
      await postStatus(collector, { machine: 'm4', created: T + 3, active: 12, previous: 13, state: 'rolled_back', lastFailed: { sequence: 13, reason: SIGNATURE } });
      await postStatus(collector, { machine: 'm5', created: T + 4, channel: 'beta', active: 14, desired: 15, state: 'applying' });

      const all = await getJson<FleetAnswer>(collector, '/api/fleet');
      assert.equal(all.status, 200);
      assert.equal(all.body.total_machines, 5);
      assert.deepEqual(all.body.channels, [
        { channel: 'beta', sequences: [{ sequence: 14, machines: 1, states: { applying: 1 }, failures: [] }] },
        {
          channel: 'stable',
          sequences: [
            { sequence: 13, machines: 2, states: { healthy: 2 }, failures: [{ reason: SIGNATURE, machines: 2 }] },
            { sequence: 12, machines: 2, states: { failed: 1, rolled_back: 1 }, failures: [] },
          ],
        },
      ]);
      assert.deepEqual(
        all.body.machines.map((machine) => machine.machine_id),
        ['m5', 'm1', 'm2', 'm3', 'm4'],
        'by channel, newest sequence first, machine id',
      );
      assert.deepEqual(all.body.machines[3], {
        machine_id: 'm3',
        tenant: UPSTREAM_TID,
        channel: 'stable',
        active: 12,
        previous: 11,
        desired: 13,
        state: 'failed',
        last_failed: { sequence: 13, reason: SIGNATURE },
        agent_version: '0.1.0',
        seen_at: new Date((T + 2) * 1000).toISOString(),
        received_at: all.body.machines[3]?.received_at,
      });
      assert.ok(Date.now() - Date.parse(all.body.machines[3]?.received_at ?? '') < 60_000);

      const beta = (await getJson<FleetAnswer>(collector, '/api/fleet?channel=beta')).body;
      assert.deepEqual([beta.total_machines, beta.machines.map((machine) => machine.machine_id)], [1, ['m5']]);
      const both = (await getJson<FleetAnswer>(collector, '/api/fleet?channel=beta&channel=stable')).body;
      assert.equal(both.total_machines, 5);
      const troubled = (await getJson<FleetAnswer>(collector, '/api/fleet?state=failed,rolled_back')).body;
      assert.deepEqual(
        troubled.machines.map((machine) => machine.machine_id),
        ['m3', 'm4'],
      );
      assert.deepEqual(troubled.channels, [
        {
          channel: 'stable',
          sequences: [
            // Nobody in these states runs 13, but it is the sequence they failed on.
            { sequence: 13, machines: 0, states: {}, failures: [{ reason: SIGNATURE, machines: 2 }] },
            { sequence: 12, machines: 2, states: { failed: 1, rolled_back: 1 }, failures: [] },
          ],
        },
      ]);
      const first = (await getJson<FleetAnswer>(collector, '/api/fleet?limit=2')).body;
      assert.deepEqual([first.total_machines, first.machines.map((machine) => machine.machine_id)], [5, ['m5', 'm1']], 'the groups count every machine, the list stops at the limit');

      for (const [query, message] of [
        ['limit=0', /^limit should be a number from 1 to 1000$/],
        ['limit=1001', /^limit should be a number from 1 to 1000$/],
        ['state=exploded', /^state should be one of: downloading, verifying, applying, applied, healthy, failed, rolled_back/],
        ['channel=', /^channel should be a channel name of 1 to 200 characters$/],
        [`${'channel=c&'.repeat(101)}limit=1`, /^at most 100 values of channel per query \(this one has 101\)$/],
        ['machine=m1', /^unknown query parameter "machine"; known parameters: channel, state, limit$/],
      ] as const) {
        const answer = await getJson<{ message: string }>(collector, `/api/fleet?${query}`);
        assert.equal(answer.status, 400, query);
        assert.match(answer.body.message, message, query);
      }
      const post = await fetch(new URL('/api/fleet', collector.url), { method: 'POST' });
      assert.equal(post.status, 405);
    },
  );
}
