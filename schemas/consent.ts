import { z } from 'zod';
import { durationSchema } from './units.js';

export const consentSchema = z
  .strictObject({
    require_opt_in: z.boolean().default(true).describe('Refuse records unless the machine has opted in (the marker file /etc/telemetrics/opt-in exists), as upstream does since 2.3.0.'),
    machine_id: z
      .strictObject({
        rotate_every: durationSchema
          .prefault('3d')
          .describe('Replace the random machine id after this long (upstream: 3 days). A static id in /etc/telemetrics/opt-in-static-machine-id is never rotated.'),
      })
      .prefault({})
      .describe('How the anonymous machine id that is stamped on every record is kept.'),
  })
  .prefault({})
  .describe('Consent: whether records may be collected at all, and how the machine is identified.');
