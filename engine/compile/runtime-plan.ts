/** The runtime plan: what the agent runs, as plain data compiled from a resolved policy. ("Plan" alone means telem plan's diff: engine/plan.) */
import type { ResolvedDestination, ResolvedPolicy } from '../../schemas/resolved.js';
import type { Rate } from '../../schemas/units.js';
import type { TrieNode } from './classification-trie.js';

export interface LimiterSettings {
  readonly records: Rate | null;
  readonly bytes: Rate | null;
  readonly whenExceeded: 'spool' | 'drop';
  readonly algorithm: 'sliding' | 'minute-slots';
}

export interface RuntimeRoute {
  readonly name: string;
  readonly index: number;
  readonly to: readonly string[];
  readonly minSeverity: number;
  readonly maxSeverity: number;
  readonly continue: boolean;
  readonly limiter: LimiterSettings | null;
}

export interface RuntimePlan {
  readonly policyName: string;
  readonly revision: number;
  readonly collection: {
    readonly allow: TrieNode;
    readonly deny: TrieNode;
    readonly minSeverity: number;
    readonly maxPayload: number;
    readonly redactions: readonly { readonly pattern: string; readonly replace: string }[];
  };
  readonly routes: readonly RuntimeRoute[];
  /** Route indices by classification pattern. */
  readonly routeMatcher: TrieNode;
  readonly destinations: Readonly<Record<string, ResolvedDestination>>;
  /** The policy this plan was compiled from (for spool, intake, retention, consent settings). */
  readonly policy: ResolvedPolicy;
}
