/**
 * The built-in probes in a plan (collection.probes): a probe turned on is an added probe that
 * makes records which did not exist before — more leaves, as when collection widens (privacy); a
 * probe turned off is removed and its records are no longer made (data-loss). A running probe
 * whose settings change is a change, and the settings that decide what a record tells (the crash
 * backtrace filter, kernel module lists, the journal filters, what a heartbeat carries) or what is
 * kept on the machine (pstore.remove_after_report) say what they do, for a probe turned on too.
 * Settings of a probe that stays off change nothing yet, and the plan says so.
 */
import { PROBE_NAMES } from '../../schemas/probes.js';
import type { ProbeName, ProbeSettings } from '../probes/probe.js';
import { PROBES } from '../probes/built-in/probes.js';
import { type ProbeRegistry, probeDefinition } from '../probes/registry.js';
import type { PlanAction } from './action.js';
import { type Consequence, action, leak, loss, note } from './consequence.js';
import { leafChanges } from './values.js';

const list = (values: readonly string[]) => values.map((value) => JSON.stringify(value)).join(', ');

/** Path prefixes of `next` not under one of `previous`. */
function prefixesGained(previous: readonly string[], next: readonly string[]): string[] {
  return next.filter((prefix) => !previous.some((outer) => prefix.startsWith(outer)));
}

/** Names of `next` not in `previous`; an empty list means every name, so it holds everything. */
function namesGained(previous: readonly string[], next: readonly string[]): string[] | 'all' {
  if (next.length === 0) return previous.length === 0 ? [] : 'all';
  if (previous.length === 0) return [];
  return next.filter((name) => !previous.includes(name));
}

/** A journal filter (units, identifiers) that was widened or narrowed. */
function filterConsequences(what: string, before: readonly string[], after: readonly string[]): Consequence[] {
  const out: Consequence[] = [];
  const gained = namesGained(before, after);
  const lost = namesGained(after, before);
  if (gained === 'all') out.push(leak(`entries of every ${what} are now sent, not only of ${list(before)}`));
  else if (gained.length > 0) out.push(leak(`entries of ${what}s ${list(gained)} are newly sent`));
  if (lost === 'all') out.push(loss(`only entries of ${what}s ${list(after)} are sent now`));
  else if (lost.length > 0) out.push(loss(`entries of ${what}s ${list(lost)} are no longer sent`));
  return out;
}

function settingConsequences(before: ProbeSettings, after: ProbeSettings, name: ProbeName): Consequence[] {
  const out: Consequence[] = [];
  const was = before[name];
  const now = after[name];
  if ('classification' in was && 'classification' in now && was.classification !== now.classification)
    out.push(leak(`its records are now classified "${now.classification}" instead of "${was.classification}": the collection rules and routes of the new one take them`));
  if ('severity' in was && 'severity' in now && was.severity !== now.severity) {
    const change = `its records now have severity ${now.severity} instead of ${was.severity}`;
    out.push(
      now.severity > was.severity
        ? leak(`${change}: routes and collection.min_severity may take more of them`)
        : loss(`${change}: collection.min_severity or a route's severities may no longer take them`),
    );
  }
  switch (name) {
    case 'heartbeat': {
      const parts = [
        ['locale', 'the locale'],
        ['uptime', 'the uptime'],
        ['bundles', 'the list of installed bundles'],
      ] as const;
      for (const [key, what] of parts) {
        if (!before.heartbeat[key] && after.heartbeat[key]) out.push(leak(`heartbeats newly carry ${what}`));
        if (before.heartbeat[key] && !after.heartbeat[key]) out.push(note(`heartbeats no longer carry ${what}`));
      }
      break;
    }
    case 'kernel':
      if (!before.kernel.modules && after.kernel.modules) out.push(leak('kernel oops records newly carry the list of loaded modules'));
      if (before.kernel.modules && !after.kernel.modules) out.push(note('kernel oops records no longer carry the list of loaded modules'));
      break;
    case 'pstore':
      if (!before.pstore.remove_after_report && after.pstore.remove_after_report)
        out.push(loss('pstore entries are deleted once their record is spooled: a record the spool then drops cannot be read from pstore again'));
      if (before.pstore.remove_after_report && !after.pstore.remove_after_report) out.push(note('pstore entries stay on the machine (their names are remembered)'));
      break;
    case 'crashes': {
      const [old, next] = [before.crashes.full_reports, after.crashes.full_reports];
      const widened = [...prefixesGained(old.paths, next.paths), ...prefixesGained(next.except, old.except)];
      const narrowed = [...prefixesGained(next.paths, old.paths), ...prefixesGained(old.except, next.except)];
      if (widened.length > 0) out.push(leak(`crashes of programs under ${list(widened)} are newly sent with their backtrace`));
      if (narrowed.length > 0) out.push(note(`crashes of programs under ${list(narrowed)} are now sent without a backtrace ("Crash from third party")`));
      break;
    }
    case 'journal': {
      const [old, next] = [before.journal, after.journal];
      if (next.max_priority > old.max_priority) out.push(leak(`entries of priority ${old.max_priority + 1}–${next.max_priority} are newly sent`));
      if (next.max_priority < old.max_priority) out.push(loss(`entries of priority ${next.max_priority + 1}–${old.max_priority} are no longer sent`));
      out.push(...filterConsequences('unit', old.units, next.units), ...filterConsequences('identifier', old.identifiers, next.identifiers));
      const unexcluded = old.exclude_identifiers.filter((id) => !next.exclude_identifiers.includes(id));
      const excluded = next.exclude_identifiers.filter((id) => !old.exclude_identifiers.includes(id));
      if (unexcluded.length > 0) out.push(leak(`entries of identifiers ${list(unexcluded)} are no longer excluded`));
      if (excluded.length > 0) out.push(loss(`entries of identifiers ${list(excluded)} are no longer sent`));
      break;
    }
    case 'bert':
      break;
  }
  return out;
}

/** What the probe makes, for the reasons: its classifications with these settings, when this build has it. */
function madeText(name: ProbeName, all: ProbeSettings, registry: ProbeRegistry): string {
  const classifications = probeDefinition(name, registry)?.classifications(all[name]) ?? [];
  return classifications.length === 0 ? 'its records' : `records of ${list(classifications)}`;
}

/** Settings without `enabled`: being on or off is the action itself. */
function settingsOf(all: ProbeSettings, name: ProbeName): Record<string, unknown> {
  const { enabled: _enabled, ...settings } = all[name];
  return settings;
}

export function probeActions(before: ProbeSettings, after: ProbeSettings, registry: ProbeRegistry = PROBES): PlanAction[] {
  const actions: PlanAction[] = [];
  for (const name of PROBE_NAMES) {
    const [was, now] = [before[name].enabled, after[name].enabled];
    if (!was && now) {
      // What its settings do is said against the ones it had while off (usually the defaults).
      const consequences = [
        leak(`turned on: ${madeText(name, after, registry)} are newly made, and leave where collection and routes take them`),
        ...settingConsequences(before, after, name),
      ];
      actions.push(action('add', 'probe', name, leafChanges({}, settingsOf(after, name)), consequences));
    } else if (was && !now) {
      actions.push(action('remove', 'probe', name, leafChanges(settingsOf(before, name), {}), [loss(`turned off: ${madeText(name, before, registry)} are no longer made`)]));
    } else {
      const changes = leafChanges(settingsOf(before, name), settingsOf(after, name));
      if (changes.length === 0) continue;
      const consequences = now ? settingConsequences(before, after, name) : [note('the probe is off: its settings take effect when it is turned on')];
      actions.push(action('change', 'probe', name, changes, consequences));
    }
  }
  return actions;
}
