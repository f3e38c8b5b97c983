/**
 * Staged rollouts on the collector's HTTP side (docs/rollout.md):
 *   GET  /fleet/<channel>/control          the control document agents poll (no auth: it can only hold or roll back);
 *   POST /api/fleet/rollouts/<id>/halt     an operator halts a rollout,
 *   POST /api/fleet/rollouts/<id>/resume   or resumes it; both need an admin login, checked before routing (access.ts, auth/gate.ts),
 *                                          so nobody without one makes the collector read a body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../log/logger.js';
import { type QueryContext, read } from '../query/api.js';
import { HttpError, sendJson } from '../reply/reply.js';
import { readBody } from './body.js';
import type { BodyMemory } from './limits.js';

export interface RolloutControlContext {
  readonly query: QueryContext;
  readonly memory: BodyMemory;
  readonly logger: Logger;
}

const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const MAX_CHANNEL_LENGTH = 200;
const MAX_ADMIN_BODY = 8 * 1024;

/** The channel of a control path, checked; undefined when the path is not one. */
export function controlChannel(pathname: string): string | undefined {
  const match = /^\/fleet\/([^/]+)\/control$/.exec(pathname);
  if (!match) return undefined;
  let channel: string;
  try {
    channel = decodeURIComponent(match[1] as string);
  } catch {
    throw new HttpError(400, 'the channel in the path is not valid percent-encoding');
  }
  if (channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) throw new HttpError(400, `a channel is 1 to ${MAX_CHANNEL_LENGTH} characters`);
  return channel;
}

export async function controlEndpoint(context: QueryContext, channel: string, res: ServerResponse): Promise<void> {
  sendJson(res, 200, await read(context.store.control(channel)), { 'Cache-Control': 'no-store' });
}

/** The rollout id and action of an admin path; undefined when the path is not one. */
export function adminRolloutPath(pathname: string): { readonly id: string; readonly action: 'halt' | 'resume' } | undefined {
  const match = /^\/api\/fleet\/rollouts\/([^/]+)\/(halt|resume)$/.exec(pathname);
  if (!match) return undefined;
  const id = match[1] as string;
  if (!ROLLOUT_ID.test(id)) throw new HttpError(400, 'rollout ids use letters, digits, ".", "_" and "-" (at most 100)');
  return { id, action: match[2] as 'halt' | 'resume' };
}

const adminBodySchema = z.strictObject({
  channel: z.string().min(1).max(MAX_CHANNEL_LENGTH),
  reason: z.string().max(500).optional(),
});

export async function adminRolloutEndpoint(
  context: RolloutControlContext,
  /** by: the admin token's name, recorded with the halt or resume. */
  target: { readonly id: string; readonly action: 'halt' | 'resume'; readonly by: string },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { by } = target;
  const body = await readBody(req, { limit: MAX_ADMIN_BODY, memory: context.memory });
  let parsed: z.infer<typeof adminBodySchema>;
  try {
    const result = adminBodySchema.safeParse(JSON.parse(body.bytes.toString('utf8')));
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new HttpError(400, `the body should be JSON { "channel": "…", "reason": "…" }: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    parsed = result.data;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, `the body should be JSON { "channel": "…", "reason": "…" }: ${(error as Error).message}`);
  } finally {
    body.release();
  }
  const key = { channel: parsed.channel, id: target.id };
  const known = await read(context.query.store.control(key.channel));
  if (!(key.id in known.rollouts)) throw new HttpError(404, `no rollout "${key.id}" has been seen on channel "${key.channel}" (its agents report it once they see the bundle)`);
  const halted = target.action === 'halt';
  const reason = parsed.reason ?? (halted ? `halted by ${by}` : '');
  const state = await context.query.store.setRolloutHalt(key, { halted, reason, by }, context.query.now());
  context.logger.warn({ channel: key.channel, rollout: key.id, by, reason }, halted ? 'rollout halted by an operator' : 'rollout resumed by an operator');
  sendJson(res, 200, { rollout: key.id, channel: key.channel, ...state });
}
