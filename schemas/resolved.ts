/**
 * The resolved policy: the only form that crosses into the runtime. It is the parsed policy
 * (every default applied, durations in ms, sizes in bytes, rates as {limit, windowMs}) with
 * entities keyed by name and the whole object frozen.
 */
import type { ParsedPolicy } from './policy.js';

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

type ParsedDestination = ParsedPolicy['destinations'][string];
type ParsedRoute = ParsedPolicy['routes'][number];

export type ResolvedDestination = DeepReadonly<ParsedDestination & { name: string }>;
export type ResolvedRoute = DeepReadonly<ParsedRoute & { index: number }>;

export type ResolvedPolicy = DeepReadonly<
  Omit<ParsedPolicy, '$schema' | 'destinations' | 'routes'> & {
    /** Destinations keyed by name. */
    destinations: Record<string, ResolvedDestination>;
    /** Routes in evaluation order; `routeNames` gives the same routes by name. */
    routes: ResolvedRoute[];
    routeNames: Record<string, number>;
    /** File the policy came from, for messages and the journal. */
    source: string | null;
  }
>;
