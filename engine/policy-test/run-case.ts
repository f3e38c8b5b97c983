/**
 * Puts a case's records through the policy with the agent's own code: `Simulation` (the compiled
 * router and the dispatcher's admission decision on a virtual clock), recording what became of
 * each record at each route × destination.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { TestOutcome } from '../../schemas/policy-test.js';
import type { Decision } from '../route/router.js';
import { type RecordSettlement, Simulation } from '../simulate/simulate.js';
import type { TimedRecord } from './test-records.js';

export interface Settled {
  readonly route: string | null;
  readonly destination: string | null;
  readonly outcome: TestOutcome;
}

export interface ObservedRecord {
  readonly input: TimedRecord;
  readonly decision: Decision;
  readonly settled: readonly Settled[];
}

function testOutcome(settlement: RecordSettlement): TestOutcome {
  switch (settlement.outcome) {
    case 'delivered':
    case 'deferred':
      return settlement.outcome;
    case 'expired':
      return 'dropped:expired';
    default:
      return `${settlement.outcome}:${settlement.reason ?? ''}` as TestOutcome;
  }
}

export function runRecords(policy: ResolvedPolicy, records: readonly TimedRecord[]): ObservedRecord[] {
  const settled: Settled[][] = records.map(() => []);
  const simulation = new Simulation(policy, {
    onSettled: (settlement) => settled[settlement.index]?.push({ route: settlement.route, destination: settlement.destination, outcome: testOutcome(settlement) }),
  });
  const decisions = records.map((input) => simulation.add({ record: input.record, at: input.at }));
  simulation.finish();
  return records.map((input, index) => ({ input, decision: decisions[index] as Decision, settled: settled[index] as Settled[] }));
}
