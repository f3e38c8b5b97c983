import { z } from 'zod';

export const retentionSchema = z
  .strictObject({
    journal_entries: z.number().int().nonnegative().default(100).describe('Journal lines kept: the last N record outcomes (upstream: 100, pruned at 150).'),
    keep_payloads: z.number().int().nonnegative().default(0).describe('Payloads of the last N records kept on disk for `telem journal -i` (upstream record_retention_enabled: 0 = off).'),
    journal: z.string().min(1).default('/var/log/telemetry/journal').describe('Journal file: one line per record outcome.'),
    payload_dir: z.string().min(1).default('/var/log/telemetry/records').describe('Directory of retained payloads, one file per record id.'),
  })
  .prefault({})
  .describe('Retention: what this machine keeps about the records it handled.');
