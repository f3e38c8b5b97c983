/**
 * `telem fleet halt|resume`'s side of POST /api/fleet/rollouts/<id>/halt|resume (docs/rollout.md):
 * the request sent with ofetch and an admin token, the collector's answer checked, and a refusal
 * (401, 403, 404, 400) a `collector-refused` TelemError with the collector's own message.
 */
import { FetchError, ofetch } from 'ofetch';
import type { HaltState } from '../collector/query/answers.js';
import { TelemError } from '../errors/telem-error.js';
import { collectorUrl, requestFailure } from './fetch-fleet.js';

export interface HaltRequest {
  readonly collector: string;
  readonly rollout: string;
  readonly action: 'halt' | 'resume';
  readonly channel: string;
  readonly reason?: string;
  readonly token: string;
  /** ms; 10 s unless said. */
  readonly timeoutMs?: number;
}

export interface HaltAnswer extends HaltState {
  readonly rollout: string;
  readonly channel: string;
}

const REFUSALS = new Set([400, 401, 403, 404, 405]);

export async function sendHalt(request: HaltRequest): Promise<HaltAnswer> {
  const url = collectorUrl(request.collector, `api/fleet/rollouts/${encodeURIComponent(request.rollout)}/${request.action}`);
  let body: unknown;
  try {
    body = await ofetch<unknown>(url.href, {
      method: 'POST',
      retry: 0,
      timeout: request.timeoutMs ?? 10_000,
      headers: { Accept: 'application/json', Authorization: `Bearer ${request.token}` },
      body: { channel: request.channel, ...(request.reason === undefined ? {} : { reason: request.reason }) },
    });
  } catch (error) {
    const refused = error instanceof FetchError && error.status !== undefined && REFUSALS.has(error.status);
    throw new TelemError(refused ? 'collector-refused' : 'collector-unavailable', `cannot ${request.action} rollout "${request.rollout}" at ${url.href}: ${requestFailure(error)}`, {
      cause: error,
    });
  }
  const answer = body as Partial<HaltAnswer> | null;
  if (typeof answer !== 'object' || answer === null || typeof answer.halted !== 'boolean' || answer.rollout !== request.rollout) {
    throw new TelemError('collector-unavailable', `${url.href} did not answer with the rollout's halt state`, {
      hint: 'is this a telem collector, and its API listener (collector.listen_api)?',
    });
  }
  return answer as HaltAnswer;
}
