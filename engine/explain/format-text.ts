/** `telem explain` for people: the steps a record goes through, each naming the rule (file:line) that decided it. */
import { formatSize } from '../../schemas/units.js';
import type { CollectionRules } from './collection.js';
import type { ConsentStep } from './consent.js';
import type { DestinationStep, Explanation, HypotheticalExplanation, JournaledExplanation, PolicyRef, RouteStep } from './explanation.js';

/** `policy.yaml:14: collection.allow[0] "org.example/*"`, or `(default) …` for a rule the file does not write. */
export function rule(place: string | null, path: string, value?: string, unplaced = '(default)'): string {
  return `${place ?? unplaced}: ${path}${value === undefined ? '' : ` ${JSON.stringify(value)}`}`;
}

/** Rules taken from the policy the agent applied have no lines: the file may say something else now. */
const AS_APPLIED = '(as applied)';

function policyLine(policy: PolicyRef): string {
  return `Policy: ${policy.name} revision ${policy.revision} (${policy.source ?? 'built-in defaults'})`;
}

function consentLines(consent: ConsentStep): string[] {
  const state = consent.optedIn ? 'opted in' : `not opted in (no ${consent.optInFile})`;
  const verdict = consent.allowed ? 'allowed' : 'refused at intake';
  return [
    'Consent',
    `  require_opt_in: ${consent.requireOptIn}; this machine is ${state} → ${verdict}`,
    `  machine id: ${consent.machineId === 'static' ? 'static (opt-in-static-machine-id, never rotated)' : `rotating every ${consent.rotateEvery}`}`,
  ];
}

function collectionLines(rules: CollectionRules, severity: number | null, payloadBytes: number | null, unplaced?: string): string[] {
  const lines = ['Collection'];
  if (rules.deny.length === 0) lines.push('  deny: no pattern matches');
  for (const deny of rules.deny) lines.push(`  deny matches: ${rule(deny.place, `collection.deny[${deny.index}]`, deny.pattern, unplaced)} → rejected: denied`);
  if (rules.allow.length === 0) lines.push('  allow: no pattern matches → rejected: not_allowed');
  for (const allow of rules.allow) lines.push(`  allow matches: ${rule(allow.place, `collection.allow[${allow.index}]`, allow.pattern, unplaced)}`);
  const floor = rule(rules.minSeverityPlace, 'collection.min_severity', undefined, unplaced);
  if (severity === null) lines.push(`  ${floor} ${rules.minSeverity} (the journal does not keep the record's severity)`);
  else lines.push(`  ${floor} ${rules.minSeverity}; severity ${severity} → ${severity < rules.minSeverity ? 'rejected: below_min_severity' : 'passes'}`);
  const size = `  max payload ${formatSize(rules.maxPayload)} (collection.max_payload, intake.max_payload)`;
  lines.push(payloadBytes === null ? size : `${size}; payload ${payloadBytes} bytes → ${payloadBytes > rules.maxPayload ? 'rejected: payload_too_large' : 'passes'}`);
  return lines;
}

function verdictText(step: RouteStep): string {
  switch (step.verdict) {
    case 'taken':
      return step.continue ? 'taken (continue: true, later routes are tried too)' : 'taken (no continue: the routes after it are not tried)';
    case 'classification':
      return 'no: the classification does not match';
    case 'severity':
      return `no: severity outside ${step.minSeverity}-${step.maxSeverity}`;
    case 'not_reached':
      return `no: route ${step.stoppedBy ?? '?'} took the record first (without continue)`;
    case null:
      return step.severities.length === 0 ? 'not taken at any severity' : `taken at severity ${step.severities.join(', ')}`;
  }
}

function routeLines(routes: readonly RouteStep[], unknownSeverity: boolean, unplaced?: string): string[] {
  const lines = [unknownSeverity ? 'Routes, in order (for each severity, as the journal keeps none)' : 'Routes, in order'];
  if (routes.length === 0) lines.push('  none considered');
  for (const step of routes) {
    lines.push(
      `  ${step.index + 1}. ${step.name}: ${rule(step.place, `routes[${step.index}]`, step.classification, unplaced)}, severity ${step.minSeverity}-${step.maxSeverity} → ${verdictText(step)}`,
    );
  }
  return lines;
}

function destinationLines(destinations: readonly DestinationStep[], title = 'Destinations'): string[] {
  const lines = [title];
  if (destinations.length === 0) lines.push('  none');
  for (const { name, route, receives } of destinations) {
    lines.push(
      `  ${name} (route ${route}): ${receives.type}${receives.target === null ? '' : ` ${receives.target}`}: ${receives.form}${receives.leavesMachine ? ' — leaves this machine' : ''}`,
    );
  }
  return lines;
}

function hypotheticalLines(explanation: HypotheticalExplanation): string[] {
  const { record, verdict } = explanation;
  const going = explanation.destinations.map((d) => d.name);
  const { routed } = explanation;
  const routedText =
    routed.outcome === 'spooled'
      ? `spooled for route ${[...new Set(explanation.destinations.map((d) => d.route))].join(', ')} → ${[...new Set(going)].join(', ')}`
      : `${routed.outcome}: ${routed.reason ?? ''}`;
  const outcome = verdict.outcome === 'refused' ? `refused at intake: ${verdict.reason ?? ''} (once opted in: ${routedText})` : routedText;
  const lines = [
    `Record (hypothetical): ${record.classification}, severity ${record.severity}, ${record.payloadBytes} payload bytes`,
    policyLine(explanation.policy),
    `Verdict: ${outcome}`,
    '',
  ];
  lines.push(...consentLines(explanation.consent), ...collectionLines(explanation.collection, record.severity, record.payloadBytes));
  if (explanation.redactions.length > 0) {
    lines.push('Redactions, in order');
    for (const step of explanation.redactions)
      lines.push(`  ${rule(step.place, `collection.redact[${step.index}]`, step.pattern)} → ${JSON.stringify(step.replace)}: ${step.matches} match${step.matches === 1 ? '' : 'es'}`);
    if (explanation.payloadAfter !== null) lines.push(`  payload sent: ${JSON.stringify(explanation.payloadAfter)}`);
  }
  lines.push(...routeLines(explanation.routes, false));
  if (explanation.limiter.length > 0) {
    lines.push('Limiter');
    for (const step of explanation.limiter) lines.push(`  ${step.route}: ${step.limit ?? 'no rate limit'} → ${step.verdict}`);
  }
  lines.push(...destinationLines(explanation.destinations));
  return lines;
}

function journaledLines(explanation: JournaledExplanation): string[] {
  const { record } = explanation;
  const lines = [
    `Record ${record.recordId}: ${record.classification} (event ${record.eventId}, boot ${record.bootId})`,
    policyLine(explanation.policy),
    `Journal: ${explanation.journal}`,
    '',
  ];
  lines.push('Outcomes (one journal line per destination)');
  for (const step of explanation.outcomes) {
    const what = step.outcome === null ? 'no outcome (upstream line)' : `${step.outcome}${step.reason === null ? '' : `: ${step.reason}`}`;
    const where = `${step.route === null ? '' : ` route ${step.route}`}${step.destination === null ? '' : ` → ${step.destination}`}`;
    lines.push(`  ${step.time} ${what}${where}${step.policyRevision === null ? '' : `, policy revision ${step.policyRevision}`}`);
    if (step.reason === 'rate_limited' || step.reason === 'exceeds_byte_limit') {
      const limit = step.limit === null ? 'not in this policy' : `${step.limit} (${step.limitPlace ?? (explanation.rulesFrom === 'applied' ? 'as applied' : 'default')})`;
      lines.push(`    limit of route ${step.route ?? '?'}: ${limit}`);
    }
    if (step.limiter !== null) lines.push(`    limiter: ${step.limiter}`);
  }
  lines.push(...consentLines(explanation.consent).map((line, index) => (index === 0 ? `${line} (now)` : line)));
  const unplaced = explanation.rulesFrom === 'applied' ? AS_APPLIED : undefined;
  lines.push(
    ...collectionLines(explanation.collection, null, null, unplaced),
    ...routeLines(explanation.routes, true, unplaced),
    ...destinationLines(explanation.destinations, 'Delivered to'),
  );
  return lines;
}

export function formatExplanationText(explanation: Explanation): string {
  const lines = explanation.kind === 'hypothetical' ? hypotheticalLines(explanation) : journaledLines(explanation);
  if (explanation.notes.length > 0) lines.push('Notes', ...explanation.notes.map((note) => `  - ${note}`));
  return `${lines.join('\n')}\n`;
}

export function formatExplanationJson(explanation: Explanation): string {
  return `${JSON.stringify({ format_version: 1, ...explanation }, null, 2)}\n`;
}
