/**
 * diff(old, new) over two resolved policies: the actions `telem plan` shows and the agent's reload
 * logs, each with what it does to records (data-loss, privacy or neutral) and why. Routes are
 * compared by name and by position (first match wins), destinations by name, sections key by key.
 */
import type { ResolvedDestination, ResolvedPolicy, ResolvedRoute } from '../../schemas/resolved.js';
import { compilePolicy } from '../compile/compile.js';
import { globCovers } from '../pattern/glob.js';
import { Router } from '../route/router.js';
import type { PlanAction, PlanEntity } from './action.js';
import { type Consequence, action, leak, loss } from './consequence.js';
import { probeActions } from './probes.js';
import { leafChanges, ratePerMs, sameValue, showValue } from './values.js';

export interface DiffOptions {
  /** Records each destination of the running agent still has waiting, to say what removing one strands. */
  readonly waiting?: Readonly<Record<string, number>>;
}

/** Patterns of `next` that `previous` does not cover, and the other way round. */
function patternsGained(previous: readonly string[], next: readonly string[]): string[] {
  return next.filter((pattern) => !previous.some((outer) => globCovers(outer, pattern)));
}

const list = (patterns: readonly string[]) => patterns.map((pattern) => JSON.stringify(pattern)).join(', ');

function collectionConsequences(before: ResolvedPolicy['collection'], after: ResolvedPolicy['collection']): Consequence[] {
  const out: Consequence[] = [];
  const allowGained = patternsGained(before.allow, after.allow);
  const allowLost = patternsGained(after.allow, before.allow);
  const denyGained = patternsGained(before.deny, after.deny);
  const denyLost = patternsGained(after.deny, before.deny);
  if (allowLost.length > 0) out.push(loss(`records of ${list(allowLost)} are no longer allowed`));
  if (denyGained.length > 0) out.push(loss(`records of ${list(denyGained)} are now denied`));
  if (allowGained.length > 0) out.push(leak(`records of ${list(allowGained)} are newly allowed to leave`));
  if (denyLost.length > 0) out.push(leak(`records of ${list(denyLost)} are no longer denied`));
  if (after.min_severity > before.min_severity) out.push(loss(`records of severity ${before.min_severity}–${after.min_severity - 1} are now rejected`));
  if (after.min_severity < before.min_severity) out.push(leak(`records of severity ${after.min_severity}–${before.min_severity - 1} newly leave`));
  if (after.max_payload < before.max_payload) out.push(loss(`payloads over ${showValue('max_payload', after.max_payload)} are now rejected`));
  const kept = new Set(after.redact.map((rule) => JSON.stringify(rule)));
  for (const rule of before.redact) if (!kept.has(JSON.stringify(rule))) out.push(leak(`redaction ${rule.pattern} is removed: what it matched leaves unredacted`));
  return out;
}

function sectionConsequences(entity: PlanEntity, before: ResolvedPolicy, after: ResolvedPolicy): Consequence[] {
  switch (entity) {
    case 'collection':
      return collectionConsequences(before.collection, after.collection);
    case 'consent': {
      const out: Consequence[] = [];
      if (before.consent.require_opt_in && !after.consent.require_opt_in) out.push(leak('records are collected without the machine opting in'));
      if (after.consent.machine_id.rotate_every > before.consent.machine_id.rotate_every) out.push(leak('the machine id is kept longer, so records stay linkable longer'));
      return out;
    }
    case 'intake':
      return after.intake.max_payload < before.intake.max_payload ? [loss(`payloads over ${showValue('max_payload', after.intake.max_payload)} are now refused at the socket`)] : [];
    case 'spool': {
      const out: Consequence[] = [];
      const max = (size: number | null) => size ?? Infinity;
      if (max(after.spool.max_size) < max(before.spool.max_size)) out.push(loss('the spool is smaller: records are dropped sooner while a destination is down'));
      if (after.spool.expiry < before.spool.expiry) out.push(loss('records expire sooner while a destination is down'));
      return out;
    }
    default:
      return [];
  }
}

function destinationConsequences(name: string, before: ResolvedDestination | undefined, after: ResolvedDestination | undefined, options: DiffOptions, used: boolean): Consequence[] {
  if (after === undefined) {
    const waiting = options.waiting?.[name];
    const stranded = waiting === undefined ? 'its spooled records are never delivered' : `its ${waiting} waiting record${waiting === 1 ? ' is' : 's are'} never delivered`;
    return [loss(`${stranded} and expire`)];
  }
  const where = 'url' in after ? after.url : 'path' in after ? String(after.path) : after.type;
  if (before === undefined) return used ? [leak(`records newly leave to ${where}`)] : [];
  const out: Consequence[] = [];
  const target = (destination: ResolvedDestination) => JSON.stringify(['type', 'url', 'path', 'protocol'].map((key) => (destination as Record<string, unknown>)[key]));
  if (target(before) !== target(after) && used) out.push(leak(`records now go to ${where}`));
  if ('on_reject' in before && 'on_reject' in after && before.on_reject === 'retry' && after.on_reject === 'drop')
    out.push(loss('records the destination refuses are now dropped instead of retried'));
  return out;
}

function routeConsequences(before: ResolvedRoute, after: ResolvedRoute): Consequence[] {
  const out: Consequence[] = [];
  const [was, now] = [before.match.classification, after.match.classification];
  if (!globCovers(now, was)) out.push(loss(`records of "${was}" that "${now}" does not match no longer take this route`));
  if (!globCovers(was, now)) out.push(leak(`records of "${now}" newly take this route`));
  if (after.match.min_severity > before.match.min_severity || after.match.max_severity < before.match.max_severity) out.push(loss('it matches fewer severities'));
  if (after.match.min_severity < before.match.min_severity || after.match.max_severity > before.match.max_severity) out.push(leak('it matches more severities'));
  const added = after.to.filter((name) => !before.to.includes(name));
  const removed = before.to.filter((name) => !after.to.includes(name));
  if (added.length > 0) out.push(leak(`its records newly go to ${added.join(', ')}`));
  if (removed.length > 0) out.push(loss(`its records no longer go to ${removed.join(', ')}`));
  if (before.continue && !after.continue) out.push(loss('its records no longer go on to the routes after it'));
  if (!before.continue && after.continue) out.push(leak('its records also go on to the routes after it'));
  const [old, next] = [before.rate_limit, after.rate_limit];
  if (next?.when_exceeded === 'drop') {
    if (old?.when_exceeded === 'spool') out.push(loss('records over the rate limit are now dropped instead of waiting in the spool'));
    else if (ratePerMs(next.records) < ratePerMs(old?.records) || ratePerMs(next.bytes) < ratePerMs(old?.bytes)) out.push(loss('a lower rate limit drops more records'));
  }
  return out;
}

/** Samples of the classifications a policy names (each "*" filled in), to tell which route takes what. */
function samples(policies: readonly ResolvedPolicy[]): string[] {
  const patterns = policies.flatMap((policy) => [...policy.routes.map((route) => route.match.classification), ...policy.collection.allow, ...policy.collection.deny]);
  return [...new Set(patterns.map((pattern) => pattern.replaceAll('*', 'x')))];
}

/** The routes common to both policies, in each one's order: a change of their relative order may change which takes a record. */
function orderActions(before: ResolvedPolicy, after: ResolvedPolicy): Map<string, Consequence[]> {
  const common = (policy: ResolvedPolicy, other: ResolvedPolicy) => policy.routes.filter((route) => other.routeNames[route.name] !== undefined);
  const [was, now] = [common(before, after), common(after, before)];
  const moved = new Map<string, Consequence[]>();
  if (
    sameValue(
      was.map((route) => route.name),
      now.map((route) => route.name),
    )
  )
    return moved;
  // The same compiled router the agent runs, on the old routes in each order.
  const router = (routes: readonly ResolvedRoute[]) =>
    new Router(compilePolicy({ ...before, routes: routes.map((route, index) => ({ ...route, index })), routeNames: Object.fromEntries(routes.map((route, index) => [route.name, index])) }));
  const reordered = now.map((route) => was.find((old) => old.name === route.name) as ResolvedRoute);
  const [old, next] = [router(was), router(reordered)];
  for (const classification of samples([before, after])) {
    for (let severity = 1; severity <= 4; severity += 1) {
      const taken = (r: Router) => r.routesFor(classification, severity).map((route) => route.name);
      const [a, b] = [taken(old), taken(next)];
      if (sameValue(a, b)) continue;
      for (const name of new Set([...a, ...b])) {
        const reasons = moved.get(name) ?? [];
        const reason = `${classification} (severity ${severity}) is now taken by ${b.join(', ') || 'no route'} instead of ${a.join(', ') || 'no route'}`;
        if (!reasons.some((c) => c.reason === reason) && reasons.length < 3) reasons.push(b.includes(name) ? leak(reason) : loss(reason));
        moved.set(name, reasons);
      }
    }
  }
  return moved;
}

const SECTIONS = ['collection', 'consent', 'intake', 'spool', 'retention', 'fleet', 'collector'] as const;

/** A section's settings as its action lists them: collection.probes are actions of their own. */
function sectionValue(policy: ResolvedPolicy, entity: (typeof SECTIONS)[number]): unknown {
  if (entity !== 'collection') return policy[entity];
  const { probes: _probes, ...rest } = policy.collection;
  return rest;
}

export function diffPolicies(before: ResolvedPolicy, after: ResolvedPolicy, options: DiffOptions = {}): PlanAction[] {
  const actions: PlanAction[] = [];
  for (const entity of SECTIONS) {
    const changes = leafChanges(sectionValue(before, entity), sectionValue(after, entity));
    if (changes.length > 0) actions.push(action('change', entity, entity, changes, sectionConsequences(entity, before, after)));
  }
  actions.push(...probeActions(before.collection.probes, after.collection.probes));

  const usedAfter = new Set(after.routes.flatMap((route) => route.to));
  for (const name of [...new Set([...Object.keys(before.destinations), ...Object.keys(after.destinations)])].sort()) {
    const [was, now] = [before.destinations[name], after.destinations[name]];
    const consequences = destinationConsequences(name, was, now, options, usedAfter.has(name));
    // The name is the entity's own; listing it again as a setting says nothing.
    const settings = (destination: ResolvedDestination) => Object.fromEntries(Object.entries(destination).filter(([key]) => key !== 'name'));
    if (was === undefined) actions.push(action('add', 'destination', name, leafChanges({}, settings(now as ResolvedDestination)), consequences));
    else if (now === undefined) actions.push(action('remove', 'destination', name, leafChanges(settings(was), {}), consequences));
    else {
      const changes = leafChanges(was, now);
      if (changes.length > 0) actions.push(action('change', 'destination', name, changes, consequences));
    }
  }

  const moved = orderActions(before, after);
  for (const route of before.routes) {
    const next = after.routes[after.routeNames[route.name] ?? -1];
    if (next === undefined) {
      const { index: _index, ...was } = route;
      actions.push(
        action('remove', 'route', route.name, leafChanges(was, {}), [
          loss(`records of "${route.match.classification}" no longer take it: they take the next route that matches, or are dropped (no route)`),
        ]),
      );
      continue;
    }
    const { index: _before, ...was } = route;
    const { index: _after, ...now } = next;
    const changes = leafChanges(was, now);
    const order = moved.get(route.name);
    if (order) changes.push({ path: 'order', before: route.index, after: next.index });
    if (changes.length > 0) actions.push(action('change', 'route', route.name, changes, [...(changes.length > (order ? 1 : 0) ? routeConsequences(route, next) : []), ...(order ?? [])]));
  }
  for (const route of after.routes) {
    if (before.routeNames[route.name] !== undefined) continue;
    const reach = route.to.length === 0 ? [] : [leak(`records of "${route.match.classification}" can take it to ${route.to.join(', ')}`)];
    const { index: _index, ...now } = route;
    actions.push(action('add', 'route', route.name, leafChanges({}, now), reach));
  }
  return actions;
}
