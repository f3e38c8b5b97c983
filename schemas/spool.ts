import { z } from 'zod';
import { durationSchema, sizeSchema } from './units.js';

export const spoolSchema = z
  .strictObject({
    dir: z.string().min(1).default('/var/spool/telemetry').describe('Directory holding records until every destination has them (upstream spool_dir).'),
    max_size: z
      .union([sizeSchema, z.literal('unlimited')], { error: 'expected a size such as "5MiB", a number of bytes, or "unlimited"' })
      .prefault('5MiB')
      .transform((value) => (value === 'unlimited' ? null : value))
      .describe('Most disk space the spool may use; records beyond it are dropped, counted and journaled. "unlimited" disables the quota (upstream spool_max_size, 5120 KiB).'),
    expiry: durationSchema.prefault('20h').describe('Records older than this are expired and journaled instead of delivered (upstream record_expiry, 1200 minutes).'),
    durability: z
      .enum(['fsync', 'batch', 'none'])
      .default('batch')
      .describe('"fsync": each record is synced before it is acknowledged; "batch": records arriving within batch_window share one sync (group commit); "none": rely on the page cache.'),
    batch_window: durationSchema.prefault('5ms').describe('With durability "batch", how long a record may wait for others to share its sync.'),
    retry: z
      .strictObject({
        interval: durationSchema.prefault('2m').describe('First wait before a failed delivery is retried (upstream spool_process_time, 120 s).'),
        max_interval: durationSchema.prefault('1h').describe('Longest wait between retries; the wait doubles after each failure up to this.'),
        jitter: z.number().min(0).max(1).default(0.2).describe('Random spread applied to each wait, as a fraction of it, so a fleet does not retry in step.'),
      })
      .prefault({})
      .describe('Retry schedule per destination: exponential backoff with jitter, oldest records first.'),
  })
  .prefault({})
  .describe('Spool: the durable queue between intake and delivery.');
