/**
 * `telem explain --class C`: what the agent would do with a record that has not been sent. The
 * verdict is the agent's own Router.decide on a record built by the probe library; the steps
 * around it name the rules that led there.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { compilePolicy } from '../compile/compile.js';
import { createRecord, setPayload } from '../probe/record.js';
import { receivesOf } from './receives.js';
import { Router } from '../route/router.js';
import { collectionRules, redactionSteps } from './collection.js';
import { consentStep } from './consent.js';
import type { DestinationStep, HypotheticalExplanation } from './explanation.js';
import { describeLimit, firstRecordVerdict } from './limits.js';
import type { PolicyPlaces } from './policy-places.js';
import { routeSteps } from './routes.js';

export interface HypotheticalOptions {
  readonly policy: ResolvedPolicy;
  readonly places: PolicyPlaces;
  readonly root: string;
  readonly classification: string;
  readonly severity?: number | undefined;
  readonly payload?: string | undefined;
}

export async function explainHypothetical(options: HypotheticalOptions): Promise<HypotheticalExplanation> {
  const { policy, places, root } = options;
  const severity = options.severity ?? 1;
  const probeRecord = setPayload(await createRecord({ classification: options.classification, severity, root }), options.payload ?? '');
  const record = { headers: probeRecord.headers, payload: probeRecord.payload };
  const plan = compilePolicy(policy);
  const decision = new Router(plan).decide(record);
  const consent = await consentStep(policy, root);
  const routes = routeSteps(plan, places, options.classification, severity);
  const taken = decision.kind === 'routed' ? decision.routes : [];
  const destinations: DestinationStep[] = taken.flatMap((route) =>
    route.to.map((name) => ({ name, route: route.name, receives: receivesOf(plan.destinations[name] as (typeof plan.destinations)[string]) })),
  );
  const notes: string[] = [];
  if (taken.some((route) => route.limiter))
    notes.push('a rate limit also counts the records before this one, which only the running agent knows: the limiter verdicts are for a route whose window is empty');
  const collected = decision.kind !== 'rejected';
  let routed: HypotheticalExplanation['routed'];
  if (decision.kind === 'rejected') routed = { outcome: 'rejected', reason: decision.reason };
  else if (decision.kind === 'unrouted') routed = { outcome: 'dropped', reason: 'no_route' };
  else routed = { outcome: 'spooled', reason: null };
  const verdict: HypotheticalExplanation['verdict'] = consent.allowed ? routed : { outcome: 'refused', reason: 'not_opted_in' };
  if (!consent.allowed)
    notes.push(
      'the intake refuses records before they get a record id, so such a refusal is never journaled (telem status counts it); the steps after consent show what happens once this machine opts in',
    );
  return {
    kind: 'hypothetical',
    policy: { name: policy.metadata.name, revision: policy.metadata.revision, source: policy.source },
    record: { classification: options.classification, severity, payloadBytes: record.payload.length },
    verdict,
    routed,
    consent,
    collection: collectionRules(plan, places, options.classification),
    redactions: collected ? redactionSteps(plan, places, record.payload) : [],
    payloadAfter: decision.kind === 'rejected' ? null : decision.record.payload.toString('utf8'),
    routes: collected ? routes : [],
    limiter: taken.map((route) => ({
      route: route.name,
      limit: route.limiter ? describeLimit(route.limiter) : null,
      verdict: firstRecordVerdict(route.limiter, record.payload.length) === 'admit' ? 'admit' : 'dropped: exceeds_byte_limit',
    })),
    destinations,
    notes,
  };
}
