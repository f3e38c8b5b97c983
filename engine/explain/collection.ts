/**
 * The collection step for one classification: which deny and allow patterns match (the router's
 * own trie lookups, so the indices name the policy's list entries), the severity floor, the
 * payload limit, and what each redaction rule does to a payload.
 */
import { isUtf8 } from 'node:buffer';
import { lookupTrie } from '../compile/classification-trie.js';
import type { RuntimePlan } from '../compile/runtime-plan.js';
import { compileRedaction } from '../pattern/linear-regexp.js';
import type { PolicyPlaces } from './policy-places.js';

export interface RuleRef {
  readonly index: number;
  readonly pattern: string;
  /** "file:line", or null for a default the file does not write. */
  readonly place: string | null;
}

export interface CollectionRules {
  readonly deny: readonly RuleRef[];
  readonly allow: readonly RuleRef[];
  readonly minSeverity: number;
  readonly minSeverityPlace: string | null;
  readonly maxPayload: number;
}

export function collectionRules(plan: RuntimePlan, places: PolicyPlaces, classification: string): CollectionRules {
  const { collection } = plan.policy;
  const refs = (list: 'allow' | 'deny', indices: number[]) =>
    indices.map((index) => ({ index, pattern: collection[list][index] as string, place: places.place(['collection', list, index]) }));
  return {
    deny: refs('deny', lookupTrie(plan.collection.deny, classification)),
    allow: refs('allow', lookupTrie(plan.collection.allow, classification)),
    minSeverity: plan.collection.minSeverity,
    minSeverityPlace: places.place(['collection', 'min_severity']),
    maxPayload: plan.collection.maxPayload,
  };
}

export interface RedactionStep {
  readonly index: number;
  readonly pattern: string;
  readonly replace: string;
  readonly place: string | null;
  /** How many matches the rule replaced, applied in order as the router applies them. */
  readonly matches: number;
}

export function redactionSteps(plan: RuntimePlan, places: PolicyPlaces, payload: Buffer): RedactionStep[] {
  const encoding = isUtf8(payload) ? 'utf8' : 'latin1';
  let text = payload.toString(encoding);
  return plan.collection.redactions.map((rule, index) => {
    const pattern = compileRedaction(rule.pattern);
    const matches = text.match(pattern)?.length ?? 0;
    text = text.replace(pattern, rule.replace);
    return { index, pattern: rule.pattern, replace: rule.replace, place: places.place(['collection', 'redact', index]), matches };
  });
}
