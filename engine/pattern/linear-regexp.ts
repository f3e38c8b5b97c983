/**
 * Redaction patterns must never pin the agent's CPU: a pattern such as (a+)+$ backtracks
 * exponentially on a 33-byte payload in a backtracking engine. Patterns run on V8's usual engine
 * (full JavaScript syntax, fast), with V8's fallback switched on: once one match attempt
 * backtracks more than V8's limit, it is finished on the linear-time engine instead. That engine
 * cannot run every pattern (no backreferences or lookaround, repetition counts up to 16 copies),
 * so a pattern it cannot run must not be one that can backtrack catastrophically: validation
 * refuses that combination, and `compileRedaction` throws for it. The flags are set once when
 * this module loads, before any redaction RegExp is built; the router and validation both
 * compile through this module so they agree on what runs.
 */
import v8 from 'node:v8';
import { backtrackingRisk } from './redaction-risks.js';

v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** Global: every match is replaced. */
export const REDACTION_FLAGS = 'g';

export type RedactionCompile =
  | { readonly ok: true; readonly regexp: RegExp; readonly linearFallback: boolean }
  /** `syntax`: not a regular expression at all; `unbounded`: it can backtrack catastrophically and the linear engine cannot take over. */
  | { readonly ok: false; readonly reason: 'syntax' | 'unbounded'; readonly message: string };

function messageOf(error: unknown): string {
  return (error as Error).message.replace(/^Invalid regular expression: /, '');
}

/** Why the linear-time engine cannot run the pattern, or null when it can. */
export function linearEngineRefusal(pattern: string): string | null {
  try {
    // eslint-disable-next-line no-invalid-regexp -- 'l' is V8's linear-time engine, switched on above
    new RegExp(pattern, 'gl');
    return null;
  } catch (error) {
    return messageOf(error);
  }
}

export function tryCompileRedaction(pattern: string): RedactionCompile {
  let regexp: RegExp;
  try {
    regexp = new RegExp(pattern, REDACTION_FLAGS);
  } catch (error) {
    return { ok: false, reason: 'syntax', message: messageOf(error) };
  }
  const refusal = linearEngineRefusal(pattern);
  if (refusal !== null && backtrackingRisk(pattern)) return { ok: false, reason: 'unbounded', message: refusal };
  return { ok: true, regexp, linearFallback: refusal === null };
}

/** The RegExp a redaction rule runs as; throws for a pattern validation would have refused. */
export function compileRedaction(pattern: string): RegExp {
  const compiled = tryCompileRedaction(pattern);
  if (compiled.ok) return compiled.regexp;
  throw new Error(`redaction pattern ${JSON.stringify(pattern)} cannot run safely: ${compiled.message}`);
}
