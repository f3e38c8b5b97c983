import { z } from 'zod';
import { durationSchema } from './units.js';

export const fleetSchema = z
  .strictObject({
    source: z
      .union([z.url({ protocol: /^https?$/ }), z.string().regex(/^\//)], { error: 'expected an http:// or https:// URL, or an absolute path' })
      .nullable()
      .default(null)
      .describe(
        "Where this machine's channel's signed bundle is: the http(s) URL or the local absolute path of the bundle file; null manages the policy locally only. " +
          'The agent polls it (an http(s) source with If-None-Match, so an unchanged bundle costs a 304), verifies each new bundle against fleet.trusted_keys and the local floor, and applies it without a restart; it keeps the active, previous and last failed bundles under /var/lib/telem/fleet/ and starts from the active one when the source cannot be reached. ' +
          'Only this local policy sets it, never a bundle.',
      ),
    channel: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'channel names use letters, digits, ".", "_" and "-"' })
      .default('stable')
      .describe('The bundle channel this machine follows, such as "stable" or "canary"; a bundle built for another channel is refused. Only this local policy sets it, never a bundle.'),
    trusted_keys: z
      .array(
        // 32 bytes in base64 (or base64url): 43 characters, the last carrying 4 bits, then an optional "=".
        z.string().regex(/^ed25519:[A-Za-z0-9+/_-]{42}[AEIMQUYcgkosw048]=?$/, { error: 'expected an Ed25519 public key such as "ed25519:<base64 of 32 bytes>", as telem keygen prints it' }),
      )
      .default([])
      .describe('Public keys (as `telem keygen` prints them) whose signatures on bundles are accepted. Only this local policy sets them, never a bundle.'),
    allowed_destinations: z
      .union([
        z.array(
          z.union([z.url({ protocol: /^https?$/ }), z.string().regex(/^\//)], {
            error: 'expected an http:// or https:// URL prefix, or an absolute directory',
          }),
        ),
        z.null(),
      ])
      .default(null)
      .describe(
        "Where a bundle may send records: http(s) URL prefixes (same scheme, host and port, and a path at or below the prefix's) and absolute directories for file destinations. " +
          "null allows only this policy's own destinations (their URLs, and the directories of their files). A bundle with a destination outside is refused, naming it. Only this local policy sets it, never a bundle.",
      ),
    poll_interval: durationSchema
      .prefault('1h')
      .describe(
        'How often the agent checks fleet.source for a new bundle: each wait is drawn between this and twice this (jitter), or longer when the server answers with Retry-After. Only this local policy sets it, never a bundle.',
      ),
    status_interval: durationSchema
      .prefault('1h')
      .describe(
        'How often the agent emits its org.telem/agent/status record (policy state, counters since the last one, health), besides one at every change of the fleet state; the record goes through collection, consent and routes like any other.',
      ),
    control: z
      .union([z.url({ protocol: /^https?$/ }), z.null()], { error: 'expected an http:// or https:// URL, or null' })
      .default(null)
      .describe(
        "The telem collector's base URL whose GET /fleet/<channel>/control says which staged rollouts are halted (docs/rollout.md); polled with the bundle. " +
          "A halt only holds or rolls back what was signed, so the answer needs no signature; when it cannot be reached the last answer stands. null: only the bundle and this machine's own gates decide. Only this local policy sets it, never a bundle.",
      ),
  })
  .prefault({})
  .describe('Fleet: how new policies reach machines as signed bundles, fetched from fleet.source and applied within the local floor.');
