/**
 * `telem explain RECORD_ID`: what happened to a journaled record, read from its journal lines
 * (one per destination outcome), with the rules of the policy in hand that name those outcomes.
 * The journal keeps final outcomes only: no severity, no payload of a record that was not
 * delivered, no individual delivery attempts; the explanation says so rather than guess.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import type { AppliedPolicy } from '../agent/applied-policy.js';
import { compilePolicy } from '../compile/compile.js';
import { TelemError } from '../errors/telem-error.js';
import { listJournal } from '../journal/list-journal.js';
import { receivesOf } from './receives.js';
import { collectionRules } from './collection.js';
import { consentStep } from './consent.js';
import type { DestinationStep, JournaledExplanation, OutcomeStep } from './explanation.js';
import { type PolicyPlaces, placesOf } from './policy-places.js';
import { routeSteps } from './routes.js';

export interface JournaledOptions {
  /** The policy in hand: it names the journal, and its rules explain the record unless `applied` ran it instead. */
  readonly policy: ResolvedPolicy;
  readonly places: PolicyPlaces;
  readonly root: string;
  readonly recordId: string;
  /**
   * What the agent applied last (readAppliedPolicy), when no policy was named: if the record ran
   * under its revision and the policy in hand is another, its rules are the ones the record met.
   */
  readonly applied?: AppliedPolicy | null | undefined;
}

const LIMIT_REASONS = new Set(['rate_limited', 'exceeds_byte_limit']);

/** What the route's limiter did, as far as the outcome tells; null when the route has no limit or the outcome says nothing of it. */
function limitVerdict(outcome: string | null, reason: string | null, limit: string | null, limited: boolean): string | null {
  if (reason === 'rate_limited') return 'over the limit with when_exceeded: drop: dropped';
  if (reason === 'exceeds_byte_limit') return 'the payload alone is larger than the byte limit: dropped';
  if (limit === null || limited) return null;
  if (outcome === 'delivered') return `admitted under ${limit}`;
  if (outcome === 'expired') return `the route has a limit (${limit}): a record over it with when_exceeded: spool waits, and may expire waiting (or its destination was failing)`;
  return null;
}

export async function explainJournaled(options: JournaledOptions): Promise<JournaledExplanation> {
  const { root, recordId } = options;
  const listing = await listJournal({ root, policy: options.policy, filter: { recordId } });
  const first = listing.entries[0];
  if (first === undefined) {
    const where = listing.missing
      ? `nothing is journaled yet (no ${listing.file})`
      : `the journal ${listing.file} has no line for it (it keeps the last ${options.policy.retention.journal_entries})`;
    throw new TelemError('record-unknown', `no record ${recordId}: ${where}`);
  }
  const ranUnder = new Set(listing.entries.map((entry) => entry.policyRevision));
  const { applied } = options;
  const useApplied = applied != null && applied.revision !== options.policy.metadata.revision && ranUnder.size === 1 && ranUnder.has(applied.revision);
  // The file may have changed since the agent applied it, so its lines would point at other rules.
  const policy = useApplied ? applied.policy : options.policy;
  const places = useApplied ? placesOf(null) : options.places;
  const plan = compilePolicy(policy);
  const routes = routeSteps(plan, places, first.classification, null);
  const revision = policy.metadata.revision;
  const outcomes: OutcomeStep[] = listing.entries.map((entry) => {
    const route = routes.find((step) => step.name === entry.route);
    const limited = entry.reason !== null && LIMIT_REASONS.has(entry.reason);
    const limiter = limitVerdict(entry.outcome, entry.reason, route?.limit ?? null, limited);
    return {
      time: new Date(entry.time).toISOString(),
      outcome: entry.outcome,
      reason: entry.reason,
      route: entry.route,
      destination: entry.destination,
      policyRevision: entry.policyRevision,
      limit: limited ? (route?.limit ?? null) : null,
      limitPlace: limited ? (route?.limitPlace ?? null) : null,
      limiter,
    };
  });
  const otherRevisions = [...new Set(listing.entries.flatMap((entry) => (entry.policyRevision !== null && entry.policyRevision !== revision ? [entry.policyRevision] : [])))];
  const destinations: DestinationStep[] = listing.entries.flatMap((entry) => {
    const destination = entry.destination === null ? undefined : policy.destinations[entry.destination];
    const reached = entry.outcome === 'delivered' || entry.outcome === null;
    return destination && reached && entry.route !== null ? [{ name: destination.name, route: entry.route, receives: receivesOf(destination) }] : [];
  });
  const notes = [
    'the journal keeps each final outcome per destination, not the delivery attempts before it (retries, their statuses and times are in the agent log and telem status)',
    'the journal does not keep the severity: each route shows the severities for which it is taken',
  ];
  if (useApplied)
    notes.push(
      `the rules shown are those the agent applied (revision ${policy.metadata.revision}, ${policy.source ?? 'built-in defaults'}), which the record ran under; the policy file is now revision ${options.policy.metadata.revision}, so no file:line is given`,
    );
  if (otherRevisions.length > 0)
    notes.push(
      `the record ran under policy revision ${otherRevisions.join(', ')}, the policy here is revision ${revision}: the rules shown are revision ${revision}'s and may differ from those it ran under`,
    );
  for (const entry of listing.entries) {
    if (entry.route !== null && !routes.some((step) => step.name === entry.route)) notes.push(`route "${entry.route}" is not in this policy (revision ${revision})`);
  }
  if (listing.entries.some((entry) => entry.outcome === null)) notes.push('a line written by upstream telemetrics carries no outcome, route, destination or revision');
  return {
    kind: 'journaled',
    policy: { name: policy.metadata.name, revision, source: policy.source },
    record: { recordId, classification: first.classification, eventId: first.eventId, bootId: first.bootId },
    journal: listing.file,
    rulesFrom: useApplied ? 'applied' : 'file',
    consent: await consentStep(policy, root),
    collection: collectionRules(plan, places, first.classification),
    routes,
    outcomes,
    otherRevisions,
    destinations,
    notes,
  };
}
