/**
 * A registry of built-in probes: definitions by name, each typed by its name. The build's own is
 * engine/probes/built-in/probes.ts (the agent, `telem probe`, `telem report` and `telem plan` use
 * it); tests hand the runner registries of their own. A name of collection.probes without an
 * entry is a probe this build does not have.
 */
import type { ProbeDefinition, ProbeName } from './probe.js';

export type ProbeRegistry = { readonly [N in ProbeName]?: ProbeDefinition<N> };
/** A registry with every probe: the build's own. */
export type CompleteRegistry = { readonly [N in ProbeName]: ProbeDefinition<N> };

/** The definition of `name`, typed by its name, or undefined when the registry does not have it. */
export function probeDefinition<N extends ProbeName>(name: N, registry: ProbeRegistry): ProbeDefinition<N> | undefined {
  return registry[name] as ProbeDefinition<N> | undefined;
}
