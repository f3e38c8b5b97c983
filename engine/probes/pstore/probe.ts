/**
 * The pstore probe (upstream's pstoreprobe and pstoreclean, reference §E.13): the oopses and
 * panics the previous boot left in pstore, parsed like the kernel log, one record per oops.
 */
import { TelemError } from '../../errors/telem-error.js';
import { underRoot } from '../../paths/root.js';
import { oopsClassifications } from '../kernel/oops-patterns.js';
import type { ProbeDefinition, ProbeEvent } from '../probe.js';
import { dumpEvents } from './dump-events.js';
import { groupDumps, readPstoreFiles } from './pstore-dump.js';
import { PstoreWatcher } from './pstore-watcher.js';

export const pstoreProbe: ProbeDefinition<'pstore'> = {
  name: 'pstore',
  summary: 'Oopses and panics the previous boot left in pstore (/sys/fs/pstore), one record per oops (upstream pstoreprobe).',
  classifications: () => oopsClassifications(),
  start: (settings, context) => new PstoreWatcher(settings, context),
  async once(settings, options): Promise<readonly ProbeEvent[]> {
    const dir = options.input ?? underRoot(options.root, settings.dir);
    const files = await readPstoreFiles(dir).catch((error: unknown) => {
      throw new TelemError('system', `cannot read the pstore directory ${dir}: ${(error as Error).message}`, { cause: error });
    });
    const sent = new Set<string>();
    const events: ProbeEvent[] = [];
    for (const dump of groupDumps(files)) {
      for (const event of dumpEvents(dump, { modules: true })) {
        if (sent.has(event.payload)) continue;
        sent.add(event.payload);
        events.push(event);
      }
    }
    return events;
  },
};
