/**
 * Redaction patterns run on V8's linear-time regexp engine (the `l` flag), so no pattern and no
 * payload can pin the agent's CPU: a pattern such as (a+)+$ that backtracks exponentially in the
 * default engine takes time proportional to the payload here. The engine sits behind a V8 flag,
 * set once when this module loads, before any redaction RegExp is built; the router and
 * validation both compile through this module so they agree on what runs.
 */
import v8 from 'node:v8';

v8.setFlagsFromString('--enable-experimental-regexp-engine');

/** Global (every match is replaced) and linear. The linear engine refuses i, u, v and d. */
export const REDACTION_FLAGS = 'gl';

export type RedactionCompile =
  | { readonly ok: true; readonly regexp: RegExp }
  /** `syntax`: not a regular expression at all; `not-linear`: valid, but the linear engine cannot run it. */
  | { readonly ok: false; readonly reason: 'syntax' | 'not-linear'; readonly message: string };

function linearEngineAvailable(): boolean {
  try {
    new RegExp('', 'l');
    return true;
  } catch {
    return false;
  }
}

const LINEAR = linearEngineAvailable();

function messageOf(error: unknown): string {
  return (error as Error).message.replace(/^Invalid regular expression: /, '');
}

export function tryCompileRedaction(pattern: string): RedactionCompile {
  try {
    // Only parsed here, never run, so the backtracking engine is safe for telling syntax errors apart.
    new RegExp(pattern, 'g');
  } catch (error) {
    return { ok: false, reason: 'syntax', message: messageOf(error) };
  }
  if (!LINEAR) {
    return { ok: false, reason: 'not-linear', message: `this Node.js ${process.version} does not accept V8's linear-time regexp engine` };
  }
  try {
    return { ok: true, regexp: new RegExp(pattern, REDACTION_FLAGS) };
  } catch (error) {
    return { ok: false, reason: 'not-linear', message: messageOf(error) };
  }
}

/** The RegExp a redaction rule runs as; throws for a pattern validation would have refused. */
export function compileRedaction(pattern: string): RegExp {
  const compiled = tryCompileRedaction(pattern);
  if (compiled.ok) return compiled.regexp;
  throw new Error(`redaction pattern ${JSON.stringify(pattern)} cannot run: ${compiled.message}`);
}
