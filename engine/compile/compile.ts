/** Resolved policy → runtime plan. Done once per policy load; the hot path only reads the result. */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { buildTrie } from './classification-trie.js';
import type { RuntimePlan, RuntimeRoute } from './runtime-plan.js';

export function compilePolicy(policy: ResolvedPolicy): RuntimePlan {
  const routes: RuntimeRoute[] = policy.routes.map((route) => ({
    name: route.name,
    index: route.index,
    to: route.to,
    minSeverity: route.match.min_severity,
    maxSeverity: route.match.max_severity,
    continue: route.continue,
    limiter: route.rate_limit
      ? {
          records: route.rate_limit.records,
          bytes: route.rate_limit.bytes,
          whenExceeded: route.rate_limit.when_exceeded,
          algorithm: route.rate_limit.algorithm,
        }
      : null,
  }));
  return {
    policyName: policy.metadata.name,
    revision: policy.metadata.revision,
    collection: {
      allow: buildTrie(policy.collection.allow),
      deny: buildTrie(policy.collection.deny),
      minSeverity: policy.collection.min_severity,
      maxPayload: Math.min(policy.collection.max_payload, policy.intake.max_payload),
      redactions: policy.collection.redact.map((rule) => ({ pattern: rule.pattern, replace: rule.replace })),
    },
    routes,
    routeMatcher: buildTrie(policy.routes.map((route) => route.match.classification)),
    destinations: policy.destinations,
    policy,
  };
}
