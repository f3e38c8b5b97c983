/**
 * The kernel probe (upstream's klogscanner, reference §E.13): oopses, BUGs, WARNINGs, soft
 * lockups, panics and the rest of upstream's patterns from the kernel log, one record each.
 * Live it follows `source` (kmsg-follower.ts); once it reads a saved log, or the log's current
 * buffer from its start up to its end.
 */
import { readFile } from 'node:fs/promises';
import { TelemError } from '../../errors/telem-error.js';
import { underRoot } from '../../paths/root.js';
import type { ProbeDefinition, ProbeEvent, ProbeSettings } from '../probe.js';
import { readBootTime } from './boot-time.js';
import { type KernelLine, KernelLineSplitter } from './kernel-line.js';
import { KmsgFollower } from './kmsg-follower.js';
import { KmsgSource } from './kmsg-source.js';
import { parseKernelLog, parseOopses } from './oops-parser.js';
import { oopsClassifications } from './oops-patterns.js';

export const kernelProbe: ProbeDefinition<'kernel'> = {
  name: 'kernel',
  summary: 'Kernel oopses, BUGs, WARNINGs, lockups and panics from the kernel log (/dev/kmsg), one record per oops (upstream klogscanner).',
  classifications: () => oopsClassifications(),
  start: (settings, context) => new KmsgFollower(settings, context),
  async once(settings, options): Promise<readonly ProbeEvent[]> {
    if (options.input !== undefined) {
      const text = await readFile(options.input, 'utf8').catch((error: unknown) => {
        throw new TelemError('system', `cannot read the kernel log ${options.input}: ${(error as Error).message}`, { cause: error });
      });
      return parseKernelLog(text, { modules: settings.modules });
    }
    const lines = readCurrentLog(settings, options.root);
    return parseOopses(lines, { modules: settings.modules, bootTimeMs: await readBootTime(options.root, Date.now()) });
  },
};

/** The kernel log's buffer as it is now, from its oldest record to its newest, read without waiting for more. */
function readCurrentLog(settings: ProbeSettings['kernel'], root: string): KernelLine[] {
  const path = underRoot(root, settings.source);
  let source: KmsgSource;
  try {
    source = KmsgSource.open(path);
  } catch (error) {
    throw new TelemError('system', `cannot open the kernel log ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const splitter = new KernelLineSplitter();
    const lines: KernelLine[] = [];
    for (;;) {
      const read = source.read();
      lines.push(...splitter.push(read.text));
      if (read.drained) break;
    }
    return [...lines, ...splitter.end()].filter((line) => line.fromProgram === undefined);
  } catch (error) {
    throw new TelemError('system', `cannot read the kernel log ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    source.close();
  }
}
