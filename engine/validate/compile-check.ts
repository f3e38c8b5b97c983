/**
 * The compile step the agent runs at start and at every reload (the runtime plan, the router with its
 * redactions, each route's limiter, each destination's client), run by validation too, so "valid" means
 * "the agent would start with it": anything the schema and the checks let through that these refuse
 * is an error here rather than a failed start.
 */
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { compilePolicy } from '../compile/compile.js';
import { createDestinationClient } from '../deliver/create-client.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { createLimiter } from '../limit/limiter.js';
import { Router } from '../route/router.js';

export function compileCheck(policy: ResolvedPolicy): Diagnostic[] {
  try {
    const plan = compilePolicy(policy);
    void new Router(plan);
    for (const route of plan.routes) if (route.limiter) createLimiter(route.limiter);
    // Clients open nothing until they deliver; made and closed here only to run their construction.
    for (const destination of Object.values(policy.destinations)) void createDestinationClient(destination, { root: '/' }).close();
    return [];
  } catch (error) {
    return [{ code: 'compile-failed', severity: 'error', message: `the agent could not compile this policy: ${error instanceof Error ? error.message : String(error)}`, path: [] }];
  }
}
