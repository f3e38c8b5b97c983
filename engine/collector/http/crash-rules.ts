/**
 * The skip list of crash signatures over HTTP (crash/skip-rules.ts, storage/crash-rules-sql.ts):
 *   GET /api/crash-rules   {"version", "rules": [{"pattern", "note", "created_at"}]}, in order;
 *   PUT /api/crash-rules   body {"rules": [{"pattern", "note"?}]}: replaces the list, recomputes the
 *                          signature of every stored record from its frames, and answers the list as
 *                          stored with "regrouped", how many records changed group. A bad rule is a
 *                          400 naming it. An admin route (router.ts API_ROUTES).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { TelemError } from '../../errors/telem-error.js';
import type { Logger } from '../../log/logger.js';
import { MAX_NOTE_LENGTH, MAX_PATTERN_LENGTH, MAX_RULES } from '../crash/skip-rules.js';
import type { CrashRulesAnswer, CrashRulesChangeAnswer } from '../query/answers.js';
import { type QueryContext, read } from '../query/api.js';
import { checkKnown } from '../query/params.js';
import { HttpError, sendJson } from '../reply/reply.js';
import type { CrashRules } from '../storage/store.js';
import { readJsonBody } from './body.js';
import type { BodyMemory } from './limits.js';

export interface CrashRulesContext {
  readonly query: QueryContext;
  readonly memory: BodyMemory;
  readonly logger: Logger;
}

/** The longest list, every pattern and note at their longest and escaped, fits. */
const MAX_BODY = MAX_RULES * 2 * (MAX_PATTERN_LENGTH + MAX_NOTE_LENGTH + 64);
const BODY_SHAPE = 'the body should be JSON {"rules": [{"pattern": "raise", "note": "…"}, …]}';

// Lengths and patterns are checked by the store (crash/check-rules.ts), whose messages name the rule.
// A rule as GET lists it (a null note, its created_at, which is kept anyway) can be sent back as is.
const bodySchema = z.strictObject({
  rules: z.array(z.strictObject({ pattern: z.string(), note: z.string().nullish(), created_at: z.string().optional() })),
});

function json(rules: CrashRules): CrashRulesAnswer {
  return { version: rules.version, rules: rules.rules.map((rule) => ({ ...rule, created_at: new Date(rule.created_at).toISOString() })) };
}

export async function crashRulesEndpoint(context: CrashRulesContext, params: URLSearchParams, res: ServerResponse): Promise<void> {
  checkKnown(params, []);
  sendJson(res, 200, json(await read(context.query.store.crashRules())));
}

export async function replaceCrashRulesEndpoint(context: CrashRulesContext, params: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  checkKnown(params, []);
  const parsed = await readJsonBody(req, bodySchema, { limit: MAX_BODY, memory: context.memory, shape: BODY_SHAPE });
  const started = Date.now();
  let change;
  try {
    const rules = parsed.rules.map(({ pattern, note }) => (typeof note === 'string' ? { pattern, note } : { pattern }));
    change = await context.query.store.replaceCrashRules(rules, context.query.now());
  } catch (error) {
    if (error instanceof TelemError && error.code === 'crash-rule-invalid') throw new HttpError(400, error.message);
    throw error;
  }
  context.logger.info({ version: change.version, rules: change.rules.length, regrouped: change.regrouped, ms: Date.now() - started }, 'crash skip rules replaced, stored crashes regrouped');
  sendJson(res, 200, { ...json(change), regrouped: change.regrouped } satisfies CrashRulesChangeAnswer);
}
