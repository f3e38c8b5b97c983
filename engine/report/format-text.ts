/** `telem report` for people, and its JSON (format_version 1). */
import { formatSize } from '../../schemas/units.js';
import { rule } from '../explain/format-text.js';
import type { ProbeOutcome, ProbeReport } from './probes.js';
import { type PolicyReport, REPORT_FORMAT_VERSION, type RouteReach } from './report.js';
import type { SinceReport } from './since.js';
import type { HourlyBound } from './worst-case.js';

/** Sizes as a policy writes them ("3MiB"); past a MiB, one that is not a whole MiB gets a rounded one beside it. */
function bytesText(bytes: number): string {
  const exact = formatSize(bytes);
  const mib = 1024 * 1024;
  if (bytes < mib || exact.endsWith('MiB') || exact.endsWith('GiB')) return exact;
  return `${exact} (~${(bytes / mib).toFixed(1)}MiB)`;
}

export function boundText(bound: HourlyBound): string {
  const records = bound.records === null ? 'no limit on records' : `${bound.records} records`;
  const bytes = bound.bytes === null ? 'no limit on bytes' : `${bytesText(bound.bytes)} of payload`;
  return `at most ${records} and ${bytes} an hour`;
}

function routeLines(route: RouteReach): string[] {
  const severities = route.severities === null ? 'no severity' : `severity ${route.severities.min}-${route.severities.max}`;
  const lines = [`  route ${route.name}: ${rule(route.place, `routes[${route.index}]`, route.classification)}, ${severities}`];
  if (route.never !== null) return [...lines, `      never taken: ${route.never}`];
  for (const allow of route.allowedBy) lines.push(`      allowed by ${rule(allow.place, `collection.allow[${allow.index}]`, allow.pattern)}`);
  for (const deny of route.except) lines.push(`      except ${rule(deny.place, `collection.deny[${deny.index}]`, deny.pattern)}`);
  if (route.takenFirstBy.length > 0) lines.push(`      records that also match route ${route.takenFirstBy.join(', ')} (before it, without continue) go there instead`);
  const limit = route.limit === null ? 'no rate limit' : `${route.limit} (${route.limitPlace ?? 'default'})`;
  lines.push(`      limit: ${limit} → ${boundText(route.perHour)}`);
  return lines;
}

function outcomeText(outcome: ProbeOutcome): string {
  if (outcome.notCollected !== null) return `not collected: ${outcome.notCollected}`;
  if (outcome.routes.length === 0) return 'collected, but no route takes it: dropped (no_route)';
  return `route ${outcome.routes.join(', ')} → ${outcome.destinations.length === 0 ? 'no destination' : outcome.destinations.join(', ')}`;
}

function probeLines(probes: readonly ProbeReport[]): string[] {
  if (probes.length === 0) return ['Built-in probes: none enabled (collection.probes)'];
  const lines = ['Built-in probes enabled (collection.probes):'];
  for (const probe of probes) {
    lines.push(`  ${probe.name}${probe.place === null ? '' : ` (${probe.place})`}: ${probe.schedule}`);
    if (probe.summary === null) lines.push('      not in this build of telem: it does not run');
    for (const send of probe.sends) {
      const [only] = send.outcomes;
      if (send.outcomes.length === 1 && only) {
        const severity = send.severity === null ? 'any severity' : `severity ${send.severity}`;
        lines.push(`      ${send.classification}, ${severity} → ${outcomeText(only)}`);
        continue;
      }
      lines.push(`      ${send.classification}, severity set per record:`);
      for (const outcome of send.outcomes) {
        const { min, max } = outcome.severities;
        lines.push(`        severity ${min === max ? min : `${min}-${max}`} → ${outcomeText(outcome)}`);
      }
    }
  }
  return lines;
}

function sinceLines(since: SinceReport): string[] {
  const lines = ['', `Since ${since.since} (from ${since.from}), from the journal ${since.journal}:`];
  if (since.truncated) lines.push(`  the journal's oldest line is from ${since.oldest ?? '?'}: earlier lines were pruned (retention.journal_entries)`);
  if (since.counts.length === 0) lines.push('  nothing journaled in the period');
  for (const count of since.counts) {
    const outcome = count.outcome === null ? 'no outcome (upstream line)' : `${count.outcome}${count.reason === null ? '' : `:${count.reason}`}`;
    lines.push(`  ${count.destination ?? '(no destination)'}  ${count.classification}  ${outcome}  ${count.count}`);
  }
  return lines;
}

export function formatReportText(report: PolicyReport, since: SinceReport | null): string {
  const { policy, consent, retention } = report;
  const lines = [`What leaves this machine under ${policy.name} revision ${policy.revision} (${policy.source ?? 'built-in defaults'})`];
  const optIn = consent.requireOptIn ? `opt-in required, this machine is ${consent.optedIn ? 'opted in' : 'not opted in: nothing is collected'}` : 'no opt-in required';
  lines.push(`Consent: ${optIn}; machine id ${consent.machineId === 'static' ? 'static (never rotated)' : `rotating every ${consent.rotateEvery}`}`);
  if (report.redactions.length === 0) lines.push('Redactions: none, payloads leave as the probes wrote them');
  else
    lines.push(
      'Redactions, applied in order to every payload:',
      ...report.redactions.map((r) => `  ${rule(r.place, `collection.redact[${r.index}]`, r.pattern)} → ${JSON.stringify(r.replace)}`),
    );
  lines.push(`Largest payload collected: ${formatSize(report.maxPayload)}`);
  const reached = report.destinations.filter((d) => d.routes.some((route) => route.never === null));
  const leaving = reached.filter((d) => d.receives.leavesMachine).map((d) => `${d.name} (${d.receives.target ?? d.receives.type})`);
  lines.push(`Leaves this machine: ${leaving.length === 0 ? 'nothing' : leaving.join(', ')}`);
  lines.push('', ...probeLines(report.probes));
  if (report.destinations.length === 0) lines.push('', 'No destinations: nothing leaves.');
  for (const destination of report.destinations) {
    const { receives } = destination;
    lines.push(
      '',
      `${destination.name}: ${receives.type}${receives.target === null ? '' : ` ${receives.target}`}${receives.leavesMachine ? ' — leaves this machine' : ' — stays on this machine'}`,
    );
    lines.push(`  receives: ${receives.form}`);
    if (receives.fields.length > 0) lines.push(`  fields: ${receives.fields.join(', ')} (machine_id ${consent.machineId})`);
    if (destination.routes.length === 0) lines.push('  no route sends to it');
    for (const route of destination.routes) lines.push(...routeLines(route));
    if (destination.routes.some((route) => route.never === null)) lines.push(`  in all: ${boundText(destination.perHour)}`);
    lines.push(`  retention: ${destination.retention}`);
  }
  const spool = `records wait in the spool up to ${retention.spoolExpiry}${retention.spoolMaxSize === null ? '' : `, at most ${formatSize(retention.spoolMaxSize)}`}`;
  lines.push(
    '',
    `Kept on this machine: the journal ${retention.journal} (last ${retention.journalEntries} lines), payloads in ${retention.payloadDir} (last ${retention.keepPayloads}); ${spool}`,
  );
  if (since !== null) lines.push(...sinceLines(since));
  lines.push('Notes', ...report.notes.map((note) => `  - ${note}`));
  return `${lines.join('\n')}\n`;
}

export function formatReportJson(report: PolicyReport, since: SinceReport | null): string {
  return `${JSON.stringify({ format_version: REPORT_FORMAT_VERSION, ...report, since }, null, 2)}\n`;
}
