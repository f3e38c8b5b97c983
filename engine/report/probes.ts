/**
 * The built-in probes of a report: for each probe the policy enables, what it reads and when, the
 * classifications it can send with its settings, and what the policy does with each — not
 * collected (the deny or allow rule, or the severity floor), no route, or the routes and their
 * destinations — decided by the agent's own router. A probe that picks the severity per record
 * (kernel, pstore, crashes) is shown at every severity, severities with the same fate together.
 */
import { PROBE_NAMES } from '../../schemas/probes.js';
import { formatDuration } from '../../schemas/units.js';
import type { RuntimePlan } from '../compile/runtime-plan.js';
import { collectionRules } from '../explain/collection.js';
import type { PolicyPlaces } from '../explain/policy-places.js';
import type { ProbeName, ProbeSettings } from '../probes/probe.js';
import { PROBES } from '../probes/built-in/probes.js';
import { type ProbeRegistry, probeDefinition } from '../probes/registry.js';
import { Router } from '../route/router.js';

/** What the policy does with a probe's records of one classification at some severities. */
export interface ProbeOutcome {
  readonly severities: { readonly min: number; readonly max: number };
  /** Why they are not collected, or null when collection takes them. */
  readonly notCollected: string | null;
  /** The routes that take them, in order, and where those send them; empty: dropped (no route). */
  readonly routes: readonly string[];
  readonly destinations: readonly string[];
}

export interface ProbeSend {
  readonly classification: string;
  /** The severity its settings give it, or null when the probe picks one per record. */
  readonly severity: number | null;
  readonly outcomes: readonly ProbeOutcome[];
}

export interface ProbeReport {
  readonly name: ProbeName;
  /** Where the policy turns it on. */
  readonly place: string | null;
  /** What it reads and when, from its settings. */
  readonly schedule: string;
  /** The definition's one line, or null when this build does not have the probe (then `sends` is empty). */
  readonly summary: string | null;
  readonly sends: readonly ProbeSend[];
}

const list = (values: readonly string[]) => values.map((value) => JSON.stringify(value)).join(', ');

/** What the probe reads and when, in the words of its settings. */
export function probeSchedule(name: ProbeName, all: ProbeSettings): string {
  switch (name) {
    case 'heartbeat': {
      const { every, random_delay: delay } = all.heartbeat;
      return `every ${formatDuration(every)}${delay === 0 ? '' : `, after a random delay up to ${formatDuration(delay)}`}`;
    }
    case 'kernel':
      return `reads ${all.kernel.source} as the kernel writes it${all.kernel.modules ? ', module lists included' : ', module lists left out'}`;
    case 'pstore':
      return `reads ${all.pstore.dir} at start and every ${formatDuration(all.pstore.every)}${all.pstore.remove_after_report ? ', deleting each entry once its record is spooled' : ''}`;
    case 'bert':
      return `reads ${all.bert.path} once per boot`;
    case 'crashes': {
      const { paths, except } = all.crashes.full_reports;
      const without = except.length === 0 ? '' : ` except ${list(except)}`;
      return `each crash the kernel hands to telem crash-report (installed by telem crash-report --install); backtraces for programs under ${list(paths)}${without}`;
    }
    case 'journal': {
      const { max_priority: priority, units, identifiers, exclude_identifiers: excluded } = all.journal;
      const parts = [`entries of this boot's journal of priority ${priority} or more urgent`];
      if (units.length > 0) parts.push(`of units ${list(units)}`);
      if (identifiers.length > 0) parts.push(`with identifiers ${list(identifiers)}`);
      if (excluded.length > 0) parts.push(`never identifiers ${list(excluded)}`);
      return parts.join(', ');
    }
  }
}

function outcomeAt(plan: RuntimePlan, places: PolicyPlaces, router: Router, classification: string, severity: number): Omit<ProbeOutcome, 'severities'> {
  const rules = collectionRules(plan, places, classification);
  const denied = rules.deny[0];
  let notCollected: string | null = null;
  if (denied) notCollected = `denied by ${places.place(['collection', 'deny', denied.index]) ?? '(default)'}: collection.deny[${denied.index}] ${JSON.stringify(denied.pattern)}`;
  else if (rules.allow.length === 0) notCollected = 'no collection.allow pattern matches';
  else if (severity < rules.minSeverity) notCollected = `below collection.min_severity ${rules.minSeverity}`;
  if (notCollected !== null) return { notCollected, routes: [], destinations: [] };
  const routes = router.routesFor(classification, severity);
  return { notCollected: null, routes: routes.map((route) => route.name), destinations: [...new Set(routes.flatMap((route) => route.to))] };
}

/** What becomes of a record, without the severities it holds for. */
const fate = (outcome: Omit<ProbeOutcome, 'severities'>) => JSON.stringify([outcome.notCollected, outcome.routes, outcome.destinations]);

function outcomesOf(plan: RuntimePlan, places: PolicyPlaces, router: Router, classification: string, severity: number | null): ProbeOutcome[] {
  const severities = severity === null ? [1, 2, 3, 4] : [severity];
  const outcomes: ProbeOutcome[] = [];
  for (const at of severities) {
    const outcome = outcomeAt(plan, places, router, classification, at);
    const last = outcomes.at(-1);
    if (last && fate(last) === fate(outcome)) outcomes[outcomes.length - 1] = { ...last, severities: { min: last.severities.min, max: at } };
    else outcomes.push({ severities: { min: at, max: at }, ...outcome });
  }
  return outcomes;
}

export function reportProbes(plan: RuntimePlan, places: PolicyPlaces, registry: ProbeRegistry = PROBES): ProbeReport[] {
  const all = plan.policy.collection.probes;
  const router = new Router(plan);
  return PROBE_NAMES.filter((name) => all[name].enabled).map((name) => {
    const settings = all[name];
    const definition = probeDefinition(name, registry);
    const severity = 'severity' in settings ? settings.severity : null;
    return {
      name,
      place: places.place(['collection', 'probes', name, 'enabled']),
      schedule: probeSchedule(name, all),
      summary: definition?.summary ?? null,
      sends: (definition?.classifications(settings) ?? []).map((classification) => ({ classification, severity, outcomes: outcomesOf(plan, places, router, classification, severity) })),
    };
  });
}
