/** Simulation's per-record observer (what `telem test` reads) agrees with its counts, records held behind a waiting one included. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RecordSettlement, Simulation } from '../../engine/simulate/simulate.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { testRecord } from '../helpers/records.js';

const policy = validatePolicyValue({
  apiVersion: 'telem/v1',
  kind: 'Policy',
  metadata: { name: 'settle' },
  collection: { deny: ['org.example/secret/*'] },
  destinations: { a: { type: 'local' } },
  routes: [{ name: 'limited', match: { classification: 'org.example/limited/*' }, to: ['a'], rate_limit: { records: '2/1m', when_exceeded: 'spool' } }],
}).policy;

test('Simulation onSettled: one settlement per record and destination; records behind a waiting one are deferred too', () => {
  assert.ok(policy);
  const settled: RecordSettlement[] = [];
  const simulation = new Simulation(policy, { onSettled: (settlement) => settled.push(settlement) });
  const decisions = [0, 0, 0, 0].map(() => simulation.add({ record: testRecord({ classification: 'org.example/limited/x' }), at: 1_000 }));
  assert.equal(simulation.add({ record: testRecord({ classification: 'org.example/secret/x' }), at: 2_000 }).kind, 'rejected');
  assert.equal(simulation.add({ record: testRecord({ classification: 'org.example/other/x' }), at: 3_000 }).kind, 'unrouted');
  const result = simulation.finish();
  assert.deepEqual(
    decisions.map((decision) => decision.kind),
    ['routed', 'routed', 'routed', 'routed'],
  );
  assert.deepEqual(
    // Unrouted records are settled as they are added, routed ones while finish() runs the clock: in time order here.
    settled.map(({ index, route, outcome, reason, at }) => ({ index, route, outcome, reason, at })).sort((a, b) => a.at - b.at || a.index - b.index),
    [
      { index: 0, route: 'limited', outcome: 'delivered', reason: null, at: 1_000 },
      { index: 1, route: 'limited', outcome: 'delivered', reason: null, at: 1_000 },
      { index: 4, route: null, outcome: 'rejected', reason: 'denied', at: 2_000 },
      { index: 5, route: null, outcome: 'dropped', reason: 'no_route', at: 3_000 },
      // Only record 2 was at the head when the limit said wait; record 3 waited behind it.
      { index: 2, route: 'limited', outcome: 'deferred', reason: null, at: 61_000 },
      { index: 3, route: 'limited', outcome: 'deferred', reason: null, at: 61_000 },
    ],
  );
  assert.deepEqual(result.results, [{ route: 'limited', destination: 'a', delivered: 4, deferred: 2, expired: 0, dropped: {}, bytes: 28 }]);
});
