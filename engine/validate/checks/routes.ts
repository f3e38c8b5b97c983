/** Routes: targets exist, names are unique, every route can be reached. */
import type { ParsedPolicy } from '../../../schemas/policy.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { didYouMean } from '../../diagnostics/suggest.js';
import { type ParsedGlob, parseGlob, parsedGlobCovers } from '../../pattern/glob.js';
import type { Check } from './check.js';

type Route = ParsedPolicy['routes'][number];

/** Whether `earlier` takes every record `later` would (and stops there). Cheap tests first: policies can have thousands of routes. */
function shadows(earlier: Route, later: Route, globs: readonly ParsedGlob[], earlierIndex: number, laterIndex: number): boolean {
  return (
    !earlier.continue &&
    earlier.match.min_severity <= later.match.min_severity &&
    earlier.match.max_severity >= later.match.max_severity &&
    parsedGlobCovers(globs[earlierIndex] as ParsedGlob, globs[laterIndex] as ParsedGlob)
  );
}

export const checkRoutes: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const destinationNames = Object.keys(policy.destinations);
  const seen = new Map<string, number>();
  const used = new Set<string>();
  const globs = policy.routes.map((route) => parseGlob(route.match.classification));

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

    const shadow = policy.routes.slice(0, index).find((earlier, earlierIndex) => shadows(earlier, route, globs, earlierIndex, index));
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
