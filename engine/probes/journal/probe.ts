/**
 * The journal probe (upstream's journalprobe, reference §E.13): error entries of the systemd
 * journal, one record per entry with the MESSAGE and a newline. Upstream matched
 * `_BOOT_ID=<current> && EXIT_CODE=exited` (systemd's notices that a service exited), and
 * PRIORITY 0–3 only when the privacy filter override file existed; here the policy's settings
 * say what is sent (max_priority, units, identifiers, exclude_identifiers), and the probe is off
 * until a policy turns it on. Where the live probe starts reading: follower.ts.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TelemError } from '../../errors/telem-error.js';
import type { ProbeDefinition } from '../probe.js';
import { currentJournalBootId } from './current-boot.js';
import { entryEvent } from './entry-event.js';
import { journalctlSelection, selectsEntry } from './entry-filter.js';
import { JournalFollower } from './follower.js';
import { type JournalSource, readJournal } from './journalctl.js';

async function inputSource(input: string): Promise<JournalSource> {
  const file = path.resolve(input);
  try {
    return (await stat(file)).isDirectory() ? { directory: file } : { file };
  } catch (error) {
    throw new TelemError('system', `cannot read the journal ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

export const journalProbe: ProbeDefinition<'journal'> = {
  name: 'journal',
  summary:
    'Journal entries of the current boot at max_priority or more urgent (journalctl), one record per entry: its MESSAGE and a newline; ' +
    'resumes after a saved cursor, reads a new boot from its start, and at its first start only what is logged from then on (as upstream journalprobe -t).',
  classifications: (settings) => [settings.classification],
  start: (settings, context) => new JournalFollower(settings, context),
  async once(settings, options) {
    // A saved journal file or directory (--input) is read whole: its entries may be of any boot,
    // and the boot filter is about the machine's own journal.
    const source = options.input === undefined ? { root: options.root } : await inputSource(options.input);
    const bootId = options.input === undefined ? await currentJournalBootId(options.root) : null;
    const entries = await readJournal({ source, bootId, selection: journalctlSelection(settings) });
    return entries.filter((entry) => selectsEntry(settings, entry)).map((entry) => entryEvent(settings, entry));
  },
};
