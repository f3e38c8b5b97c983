/**
 * The collector's control document, GET <fleet.control>/fleet/<channel>/control (docs/rollout.md):
 * which staged rollouts of the channel are halted. Unsigned on purpose: a halt can only hold or
 * roll back what a signed bundle allows, never widen it. Bounded in size and time.
 */
import { ofetch } from 'ofetch';
import { z } from 'zod';
import { TelemError } from '../errors/telem-error.js';

export const CONTROL_TIMEOUT_MS = 10_000;
/** More than enough for thousands of rollouts; a larger answer is refused. */
export const MAX_CONTROL_BYTES = 1024 * 1024;

const controlSchema = z.object({
  format_version: z.literal(1),
  channel: z.string(),
  rollouts: z.record(z.string(), z.object({ halted: z.boolean(), reason: z.string().max(4000).nullable().optional(), at: z.string().nullable().optional() })),
});

/** Halted rollouts by id, with the reason and time the collector gave. */
export type Halts = Readonly<Record<string, { readonly reason: string | null; readonly at: string | null }>>;

export function controlUrl(base: string, channel: string): string {
  return `${base.replace(/\/+$/, '')}/fleet/${encodeURIComponent(channel)}/control`;
}

/** The halts the collector serves for `channel`; throws bundle-fetch when it cannot be read or is not a control document. */
export async function fetchHalts(base: string, channel: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<Halts> {
  const url = controlUrl(base, channel);
  let text: string;
  try {
    text = await ofetch<string, 'text'>(url, { responseType: 'text', retry: 0, timeout: timeoutMs });
  } catch (error) {
    throw new TelemError('bundle-fetch', `cannot fetch the control document ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (text.length > MAX_CONTROL_BYTES) throw new TelemError('bundle-fetch', `the control document ${url} is more than ${MAX_CONTROL_BYTES} bytes`);
  let parsed;
  try {
    parsed = controlSchema.safeParse(JSON.parse(text));
  } catch {
    throw new TelemError('bundle-fetch', `the control document ${url} is not JSON`);
  }
  if (!parsed.success) throw new TelemError('bundle-fetch', `${url} is not a control document: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  if (parsed.data.channel !== channel) throw new TelemError('bundle-fetch', `the control document ${url} is for channel "${parsed.data.channel}", not "${channel}"`);
  const halts: Record<string, { reason: string | null; at: string | null }> = {};
  for (const [id, rollout] of Object.entries(parsed.data.rollouts)) if (rollout.halted) halts[id] = { reason: rollout.reason ?? null, at: rollout.at ?? null };
  return halts;
}
