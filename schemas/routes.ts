import { z } from 'zod';
import { classificationGlobSchema, severitySchema } from './classification.js';
import { byteRateSchema, recordRateSchema } from './units.js';

export const rateLimitSchema = z
  .strictObject({
    records: z.union([recordRateSchema, z.null()]).prefault(null).describe('Most records per window, such as "100/15m"; null for no record limit.'),
    bytes: z.union([byteRateSchema, z.null()]).prefault(null).describe('Most payload bytes per window, such as "1MiB/20m" (real bytes); null for no byte limit.'),
    when_exceeded: z
      .enum(['spool', 'drop'])
      .default('spool')
      .describe('"spool": the record waits in the spool and is sent when the window allows; "drop": it is dropped, counted and journaled.'),
    algorithm: z
      .enum(['sliding', 'minute-slots'])
      .default('sliding')
      .describe('"sliding": an exact sliding window; "minute-slots": upstream telempostd\'s 60 per-minute slots (windows under 60 minutes), for converted telemetrics.conf files.'),
  })
  .describe('Rate limits of one route, counted over records this route delivers.');

export const routeSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: 'route names use letters, digits, ".", "_" and "-"' })
      .describe('Unique name of the route, used in plans, the journal and status.'),
    match: z
      .strictObject({
        classification: classificationGlobSchema.default('*').describe('Classification pattern, such as "org.clearlinux/crash/*"; "*" matches every record.'),
        min_severity: severitySchema.default(1).describe('Lowest severity matched (1 low … 4 critical).'),
        max_severity: severitySchema.default(4).describe('Highest severity matched.'),
      })
      .prefault({})
      .describe('Which records take this route.'),
    to: z.array(z.string()).describe('Names of the destinations that receive the records of this route.'),
    rate_limit: z.union([rateLimitSchema, z.null()]).prefault(null).describe('Rate limits for this route; null for none.'),
    continue: z.boolean().default(false).describe('Also try the routes after this one when it matches (a record can then take several routes).'),
  })
  .describe('A route: records matching it go to its destinations.');

export const routesSchema = z
  .array(routeSchema)
  .prefault([])
  .describe('Routes in order: a record takes the first route it matches (and more when that route has continue: true). Records matching no route are journaled as dropped.');
