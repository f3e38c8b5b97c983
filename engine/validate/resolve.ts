/** Parsed policy → resolved policy: entities keyed by name, everything frozen. */
import type { ParsedPolicy } from '../../schemas/policy.js';
import type { ResolvedDestination, ResolvedPolicy, ResolvedRoute } from '../../schemas/resolved.js';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function resolvePolicy(parsed: ParsedPolicy, source: string | null = null): ResolvedPolicy {
  const { $schema: _editorHint, destinations, routes, ...rest } = parsed;
  const resolvedDestinations: Record<string, ResolvedDestination> = {};
  for (const [name, destination] of Object.entries(destinations)) resolvedDestinations[name] = { ...destination, name };
  const resolvedRoutes: ResolvedRoute[] = routes.map((route, index) => ({ ...route, index }));
  const routeNames: Record<string, number> = {};
  for (const route of resolvedRoutes) routeNames[route.name] ??= route.index;
  return deepFreeze({ ...rest, destinations: resolvedDestinations, routes: resolvedRoutes, routeNames, source });
}
