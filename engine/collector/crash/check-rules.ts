/**
 * The check of a skip list an operator gives (PUT /api/crash-rules), apart from skip-rules.ts so
 * that the web UI's type check, which reads that module's types, needs no Node types.
 */
import { TelemError } from '../../errors/telem-error.js';
import { MAX_NOTE_LENGTH, MAX_RULES, PATTERN_FORMS, type SkipRule, parseSkipPattern } from './skip-rules.js';

/**
 * Checks a skip list before it is stored: every pattern a pattern, none listed twice, notes and
 * the list of bounded size. Throws a TelemError
 * (crash-rule-invalid) whose message names the rule by its index.
 */
export function checkSkipRules(rules: readonly SkipRule[]): void {
  const invalid = (message: string) => new TelemError('crash-rule-invalid', message, { hint: `a rule is ${PATTERN_FORMS}` });
  if (rules.length > MAX_RULES) throw invalid(`at most ${MAX_RULES} rules (this list has ${rules.length})`);
  const seen = new Map<string, number>();
  rules.forEach((rule, index) => {
    const parsed = parseSkipPattern(rule.pattern);
    if ('problem' in parsed) throw invalid(`rules[${index}].pattern ${JSON.stringify(rule.pattern)} is not a skip rule: it ${parsed.problem}`);
    const earlier = seen.get(rule.pattern);
    if (earlier !== undefined) throw invalid(`rules[${index}].pattern ${JSON.stringify(rule.pattern)} is listed twice (rules[${earlier}] too)`);
    seen.set(rule.pattern, index);
    if (rule.note !== undefined && rule.note.length > MAX_NOTE_LENGTH) throw invalid(`rules[${index}].note is longer than ${MAX_NOTE_LENGTH} characters`);
  });
}
