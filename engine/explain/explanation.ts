/** What `telem explain` says about one record: plain data, printed as text or as JSON (format_version 1). */
import type { Receives } from './receives.js';
import type { CollectionRules, RedactionStep } from './collection.js';
import type { ConsentStep } from './consent.js';
import type { RouteVerdict } from './routes.js';

export const EXPLAIN_FORMAT_VERSION = 1;

export interface PolicyRef {
  readonly name: string;
  readonly revision: number;
  readonly source: string | null;
}

export interface RouteStep {
  readonly name: string;
  readonly index: number;
  readonly place: string | null;
  readonly classification: string;
  readonly minSeverity: number;
  readonly maxSeverity: number;
  readonly continue: boolean;
  readonly to: readonly string[];
  /** Null for a journaled record whose severity is not known: see `severities`. */
  readonly verdict: RouteVerdict | null;
  readonly stoppedBy: string | null;
  /** The severities (1-4) for which this route is taken: the journal does not record a severity. */
  readonly severities: readonly number[];
  readonly limit: string | null;
  readonly limitPlace: string | null;
}

export interface DestinationStep {
  readonly name: string;
  readonly route: string;
  readonly receives: Receives;
}

/** One journal line of the record: its final outcome at one destination. */
export interface OutcomeStep {
  readonly time: string;
  readonly outcome: string | null;
  readonly reason: string | null;
  readonly route: string | null;
  readonly destination: string | null;
  readonly policyRevision: number | null;
  /** For a rate-limit drop: the route's limit, as the policy in hand writes it. */
  readonly limit: string | null;
  readonly limitPlace: string | null;
  /** What the limiter did, as far as the journal tells. */
  readonly limiter: string | null;
}

interface Common {
  readonly policy: PolicyRef;
  readonly consent: ConsentStep;
  readonly collection: CollectionRules;
  readonly routes: readonly RouteStep[];
  /** What cannot be told, said plainly. */
  readonly notes: readonly string[];
}

export interface HypotheticalExplanation extends Common {
  readonly kind: 'hypothetical';
  readonly record: { readonly classification: string; readonly severity: number; readonly payloadBytes: number };
  /** What the agent would do: refused at intake (consent), rejected with a reason, dropped: no_route, or spooled for routes. */
  readonly verdict: { readonly outcome: 'refused' | 'rejected' | 'dropped' | 'spooled'; readonly reason: string | null };
  /** What the router decides (Router.decide), whatever consent says: what happens once the machine has opted in. */
  readonly routed: { readonly outcome: 'rejected' | 'dropped' | 'spooled'; readonly reason: string | null };
  readonly redactions: readonly RedactionStep[];
  readonly payloadAfter: string | null;
  /** Per taken route: what the limiter says of this record when its window is empty. */
  readonly limiter: readonly { readonly route: string; readonly limit: string | null; readonly verdict: string }[];
  readonly destinations: readonly DestinationStep[];
}

export interface JournaledExplanation extends Common {
  readonly kind: 'journaled';
  readonly record: { readonly recordId: string; readonly classification: string; readonly eventId: string; readonly bootId: string };
  readonly journal: string;
  /** Whose rules explain it: the policy file in hand, or what the agent applied (when the file changed since the record ran). */
  readonly rulesFrom: 'file' | 'applied';
  readonly outcomes: readonly OutcomeStep[];
  /** Revisions the record ran under (from the journal) that are not the policy in hand's. */
  readonly otherRevisions: readonly number[];
  /** Destinations the journal shows the record delivered to. */
  readonly destinations: readonly DestinationStep[];
}

export type Explanation = HypotheticalExplanation | JournaledExplanation;
