/** Routes: targets exist, names are unique, every route can be reached. */
import type { ParsedPolicy } from '../../../schemas/policy.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/suggest.js';
import { type ParsedGlob, parseGlob, parsedGlobCovers } from '../../pattern/glob.js';
import type { Check } from './check.js';

type Route = ParsedPolicy['routes'][number];

/** Whether `earlier` takes every record `later` would (and stops there). Cheap tests first: policies can have thousands of routes. */
function shadows(earlier: Route, later: Route, earlierGlob: ParsedGlob, laterGlob: ParsedGlob): boolean {
  return !earlier.continue && earlier.match.min_severity <= later.match.min_severity && earlier.match.max_severity >= later.match.max_severity && parsedGlobCovers(earlierGlob, laterGlob);
}

/** The pattern's text before its first wildcard. */
function literalPrefix(pattern: string): string {
  const wildcard = pattern.search(/[*?]/);
  return wildcard < 0 ? pattern : pattern.slice(0, wildcard);
}

/**
 * The earlier routes by the literal prefix of their pattern. A pattern covers another only when its
 * literal prefix is a prefix of the other's (past it, the other has a wildcard, which can take a
 * character the first does not allow), so a route is compared only with the earlier routes filed
 * under a prefix of its own: linear in the routes for real policies, not quadratic.
 */
class EarlierRoutes {
  readonly #byPrefix = new Map<string, number[]>();

  add(index: number, pattern: string): void {
    const prefix = literalPrefix(pattern);
    const list = this.#byPrefix.get(prefix);
    if (list) list.push(index);
    else this.#byPrefix.set(prefix, [index]);
  }

  /** The first earlier route (lowest index) for which `test` holds. */
  first(pattern: string, test: (index: number) => boolean): number | undefined {
    const prefix = literalPrefix(pattern);
    let found: number | undefined;
    for (let length = 0; length <= prefix.length; length += 1) {
      for (const index of this.#byPrefix.get(prefix.slice(0, length)) ?? []) {
        if (found !== undefined && index >= found) break;
        if (test(index)) {
          found = index;
          break;
        }
      }
    }
    return found;
  }
}

export const checkRoutes: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const destinationNames = Object.keys(policy.destinations);
  const seen = new Map<string, number>();
  const used = new Set<string>();
  const globs = policy.routes.map((route) => parseGlob(route.match.classification));
  const earlier = new EarlierRoutes();

  if (policy.routes.length === 0) {
    diagnostics.push({
      code: 'no-routes',
      severity: 'warning',
      message: 'the policy has no routes: every record will be journaled as dropped (no route)',
      path: ['routes'],
      hint: 'add a route such as { name: default, match: { classification: "*" }, to: [<destination>] }',
    });
  }

  policy.routes.forEach((route, index) => {
    const first = seen.get(route.name);
    if (first === undefined) seen.set(route.name, index);
    else {
      diagnostics.push({
        code: 'duplicate-name',
        severity: 'error',
        message: `route name "${route.name}" is already used by routes[${first}]`,
        path: ['routes', index, 'name'],
        hint: 'route names appear in plans, the journal and status; make each one unique',
      });
    }

    if (route.to.length === 0) {
      diagnostics.push({
        code: 'empty-route-targets',
        severity: 'error',
        message: `route "${route.name}" sends to no destination`,
        path: ['routes', index, 'to'],
        hint: 'name at least one destination; to keep records on the machine only, use a destination of type "local"',
      });
    }
    route.to.forEach((target, targetIndex) => {
      used.add(target);
      if (!(target in policy.destinations)) {
        diagnostics.push({
          code: 'unknown-destination',
          severity: 'error',
          message: `route "${route.name}" sends to unknown destination "${target}"${didYouMean(target, destinationNames)}`,
          path: ['routes', index, 'to', targetIndex],
          hint: destinationNames.length > 0 ? `defined destinations: ${destinationNames.join(', ')}` : 'define it under destinations:',
        });
      }
    });

    if (route.match.min_severity > route.match.max_severity) {
      diagnostics.push({
        code: 'empty-severity-range',
        severity: 'error',
        message: `route "${route.name}" matches no severity: min_severity ${route.match.min_severity} is above max_severity ${route.match.max_severity}`,
        path: ['routes', index, 'match'],
      });
    }

    const pattern = route.match.classification;
    const shadowIndex = earlier.first(pattern, (at) => shadows(policy.routes[at] as Route, route, globs[at] as ParsedGlob, globs[index] as ParsedGlob));
    earlier.add(index, pattern);
    const shadow = shadowIndex === undefined ? undefined : policy.routes[shadowIndex];
    if (shadow) {
      diagnostics.push({
        code: 'unreachable-route',
        severity: 'warning',
        message: `route "${route.name}" can never match: route "${shadow.name}" before it takes every record it would`,
        path: ['routes', index, 'match'],
        hint: `move "${route.name}" above "${shadow.name}", narrow "${shadow.name}", or set continue: true on it`,
      });
    }
  });

  for (const name of destinationNames) {
    if (!used.has(name)) {
      diagnostics.push({
        code: 'unused-destination',
        severity: 'warning',
        message: `destination "${name}" is not used by any route`,
        path: ['destinations', name],
      });
    }
  }
  return diagnostics;
};
