/**
 * collection.probes: the built-in probes the agent runs (upstream's hprobe, klogscanner,
 * pstoreprobe, BERT, crashprobe and journalprobe, reference §E.12–E.13). Every probe is off
 * until the policy turns it on; classifications, severities and privacy filters default to
 * upstream's, so existing backends see the records they always saw.
 */
import { z } from 'zod';
import { severitySchema } from './classification.js';
import { durationSchema } from './units.js';

const classificationSchema = z
  .string()
  .max(122)
  .regex(/^[!-.0-~]{1,40}\/[!-.0-~]{1,40}\/[!-.0-~]{1,40}$/, {
    error: 'expected a classification of three parts such as "org.clearlinux/heartbeat/ping"',
  });
const absolutePathSchema = z.string().regex(/^\//, { error: 'expected an absolute path' });
const enabledSchema = z.boolean().default(false).describe('Whether the agent runs this probe.');

export const heartbeatProbeSchema = z
  .strictObject({
    enabled: enabledSchema,
    every: durationSchema.prefault('24h').describe('How often a heartbeat is sent (upstream: hprobe.timer, daily).'),
    random_delay: durationSchema
      .prefault('6h')
      .describe('Each heartbeat waits a random time up to this long after its due time, so a fleet does not report at once (upstream: RandomizedDelaySec=21600).'),
    classification: classificationSchema.default('org.clearlinux/heartbeat/ping').describe('Classification of the records this probe sends (upstream’s by default).'),
    severity: severitySchema.default(1).describe('Severity of the records this probe sends (1 low … 4 critical; upstream’s by default).'),
    locale: z.boolean().default(true).describe('Append "LC_ALL: <locale>" to the payload (hprobe -l).'),
    uptime: z.boolean().default(true).describe('Append "uptime: <seconds>" to the payload (hprobe -u).'),
    bundles: z.boolean().default(false).describe('Append the installed Clear Linux bundles from /usr/share/clear/bundles (hprobe -b).'),
  })
  .prefault({})
  .describe('A periodic heartbeat with the payload of upstream `hprobe -Hlu`: "hello", the locale and the uptime.');

export const kernelProbeSchema = z
  .strictObject({
    enabled: enabledSchema,
    source: absolutePathSchema.default('/dev/kmsg').describe('The kernel log device; read from where the agent last stopped (the end at the first start).'),
    modules: z.boolean().default(true).describe('Include the "Modules linked in" list in the payload (upstream does).'),
  })
  .prefault({})
  .describe(
    'Kernel oopses, BUGs, WARNINGs, soft lockups, panics and the rest of upstream klogscanner patterns, in both the old and the current kernel formats: ' +
      'one record per oops, classification org.clearlinux/kernel/{warning,bug,stackoverflow,panic} (and upstream’s crash/kernel/* for the patterns that use it), severity 2 or 4 as upstream.',
  );

export const pstoreProbeSchema = z
  .strictObject({
    enabled: enabledSchema,
    dir: absolutePathSchema.default('/sys/fs/pstore').describe('The pstore file system, read at start and then every `every`.'),
    every: durationSchema.prefault('1h').describe('How often the directory is looked at again (pstore only changes at boot, or when a panic is recorded).'),
    remove_after_report: z
      .boolean()
      .default(false)
      .describe('Delete a pstore entry once its record is in the spool (upstream pstoreclean); otherwise the names already reported are remembered.'),
  })
  .prefault({})
  .describe('Oopses and panics the previous boot left in pstore, parsed like the kernel log.');

export const bertProbeSchema = z
  .strictObject({
    enabled: enabledSchema,
    path: absolutePathSchema.default('/sys/firmware/acpi/tables/data/BERT').describe('The ACPI Boot Error Record Table data, read once per boot.'),
    classification: classificationSchema.default('org.clearlinux/bert/debug').describe('Classification of the records this probe sends (upstream’s by default).'),
    severity: severitySchema.default(2).describe('Severity of the records this probe sends (1 low … 4 critical; upstream’s by default).'),
  })
  .prefault({})
  .describe('Firmware-reported errors from the previous boot (ACPI BERT), one record per boot that has them.');

export const crashesProbeSchema = z
  .strictObject({
    enabled: enabledSchema,
    full_reports: z
      .strictObject({
        paths: z.array(absolutePathSchema).default(['/usr/']).describe('Path prefixes of programs whose crashes are sent with their backtrace.'),
        except: z.array(absolutePathSchema).default(['/usr/local/']).describe('Path prefixes excluded again from `paths`.'),
      })
      .prefault({})
      .describe(
        'Privacy filter (upstream’s): a crash of a program outside these prefixes is sent as "Crash from third party\\n" (classification crash/unknown) with no backtrace. ' +
          'Programs built under /builddir/build/BUILD/ are sent as "Crash from Clear package build\\n" (crash/clr-build).',
      ),
    unwinder: z.enum(['auto', 'eu-stack', 'gdb']).default('auto').describe('What unwinds the core: elfutils eu-stack, gdb, or the first of them installed.'),
    timeout: durationSchema.prefault('10s').describe('Longest the handler spends on one crash; then it reports what it has, so the crashing process’s exit is never held up for long.'),
    max_frames: z.number().int().min(1).max(64).default(64).describe('Frames kept per thread (upstream: 64).'),
    keep_core: absolutePathSchema.nullable().default(null).describe('A directory where the core is kept after unwinding; null (the default) keeps no core anywhere.'),
  })
  .prefault({})
  .describe(
    'Crashed processes: `telem crash-report` is the kernel.core_pattern pipe handler (installed only by `telem crash-report --install`). ' +
      'Classification org.clearlinux/crash/clr (severity 3) with per-thread backtraces, crash/unknown and crash/clr-build (2) when filtered, crash/error (4) when unwinding failed.',
  );

export const journalProbeSchema = z
  .strictObject({
    enabled: enabledSchema,
    max_priority: z.number().int().min(0).max(7).default(3).describe('Entries of this syslog priority or more urgent (3 = error, as upstream).'),
    units: z.array(z.string().min(1)).default([]).describe('Only entries of these systemd units (_SYSTEMD_UNIT); empty takes all.'),
    identifiers: z.array(z.string().min(1)).default([]).describe('Only entries with these SYSLOG_IDENTIFIERs; empty takes all.'),
    exclude_identifiers: z.array(z.string().min(1)).default([]).describe('Entries with these SYSLOG_IDENTIFIERs are never sent.'),
    classification: classificationSchema.default('org.clearlinux/journal/error').describe('Classification of the records this probe sends (upstream’s by default).'),
    severity: severitySchema.default(2).describe('Severity of the records this probe sends (1 low … 4 critical; upstream’s by default).'),
  })
  .prefault({})
  .describe('Error entries of the systemd journal from the current boot, one record per entry (payload: the MESSAGE and a newline), resumed from a cursor kept across restarts.');

export const probesSchema = z
  .strictObject({
    heartbeat: heartbeatProbeSchema,
    kernel: kernelProbeSchema,
    pstore: pstoreProbeSchema,
    bert: bertProbeSchema,
    crashes: crashesProbeSchema,
    journal: journalProbeSchema,
  })
  .prefault({})
  .describe('Built-in probes run by the agent (and the crash handler): each is off unless turned on here. Their records pass collection, consent, routes and limits like any other.');

export type ProbeName = keyof z.infer<typeof probesSchema>;
export const PROBE_NAMES = ['heartbeat', 'kernel', 'pstore', 'bert', 'crashes', 'journal'] as const satisfies readonly ProbeName[];
