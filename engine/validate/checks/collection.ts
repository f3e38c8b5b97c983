/** Collection: redaction patterns compile and run in linear time, limits agree with intake, something is collected. */
import { formatSize } from '../../../schemas/units.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { globCovers } from '../../pattern/glob.js';
import { tryCompileRedaction } from '../../pattern/linear-regexp.js';
import { backtrackingRisk, linearObstacle, MAX_LINEAR_COPIES } from '../../pattern/redaction-risks.js';
import type { Check } from './check.js';

const UNBOUNDED_HINT =
  'telem finishes a match that backtracks too much on a linear-time engine, which cannot run backreferences (\\1, \\k<name>), ' +
  `lookahead or lookbehind ((?=…), (?!…), (?<=…), (?<!…)) or repetitions counted past ${MAX_LINEAR_COPIES} copies; ` +
  'remove the nested repetition, or the construct the linear engine cannot run';

const RISK_TEXT = {
  nested: { what: 'nests a repetition inside a repetition', hint: 'for example write (a+)+ as a+ and (\\w+\\s?)* as [\\w\\s]*' },
  overlap: { what: 'repeats alternatives that can match the same text', hint: 'make the alternatives exclusive: for example write (a|aa)+ as a+' },
} as const;

function checkRedactions(rules: readonly { readonly pattern: string }[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  rules.forEach((rule, index) => {
    const path = ['collection', 'redact', index, 'pattern'];
    const compiled = tryCompileRedaction(rule.pattern);
    if (!compiled.ok && compiled.reason === 'syntax') {
      diagnostics.push({
        code: 'invalid-redaction-pattern',
        severity: 'error',
        message: `redaction pattern does not compile: ${compiled.message}`,
        path,
        hint: "patterns are JavaScript regular expressions; in YAML, single quotes keep backslashes as written: '\\d+'",
      });
      return;
    }
    const risk = backtrackingRisk(rule.pattern);
    if (!compiled.ok) {
      const what = risk ? RISK_TEXT[risk.kind].what : 'can backtrack catastrophically';
      diagnostics.push({
        code: 'redaction-not-linear',
        severity: 'error',
        message: `redaction pattern ${rule.pattern} ${what}${risk ? `, in ${risk.source}` : ''}, and ${linearObstacle(rule.pattern) ?? compiled.message}: one payload could pin the agent's CPU`,
        path,
        hint: UNBOUNDED_HINT,
      });
      return;
    }
    if (risk) {
      diagnostics.push({
        code: 'redaction-backtracking',
        severity: 'warning',
        message: `redaction pattern ${rule.pattern} ${RISK_TEXT[risk.kind].what}, in ${risk.source}: it would backtrack catastrophically in a backtracking regex engine; telem finishes such matches on a linear-time engine, so it is safe here`,
        path,
        hint: `${RISK_TEXT[risk.kind].hint}, so the pattern stays safe in any other tool that uses it`,
      });
    }
  });
  return diagnostics;
}

export const checkCollection: Check = (policy) => {
  const { collection, intake } = policy;
  const diagnostics = checkRedactions(collection.redact);
  if (collection.max_payload > intake.max_payload) {
    diagnostics.push({
      code: 'payload-limit-unreachable',
      severity: 'warning',
      message: `collection.max_payload ${formatSize(collection.max_payload)} is above intake.max_payload ${formatSize(intake.max_payload)}; the intake limit applies first`,
      path: ['collection', 'max_payload'],
    });
  }
  const everythingDenied = collection.allow.every((allowed) => collection.deny.some((denied) => globCovers(denied, allowed)));
  if (collection.allow.length === 0 || everythingDenied) {
    diagnostics.push({
      code: 'nothing-collected',
      severity: 'warning',
      message: 'collection denies everything it allows: no record will be collected',
      path: ['collection'],
    });
  }
  return diagnostics;
};
