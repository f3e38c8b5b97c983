/**
 * The pstore probe inside the agent: reads the pstore directory at start and again every
 * `every`, and reports each dump not reported before. Once every record of a dump is in the
 * spool its files are deleted (remove_after_report, upstream's pstoreclean) or remembered; a dump
 * with a record refused by the policy is remembered, never deleted, so its data stays on disk.
 * A dump that gives no record (a clean shutdown's dump) is remembered, not deleted.
 */
import { rm } from 'node:fs/promises';
import { underRoot } from '../../paths/root.js';
import type { ProbeContext, ProbeSettings, RunningProbe } from '../probe.js';
import { dumpEvents } from './dump-events.js';
import { type PstoreDump, groupDumps, readPstoreFiles } from './pstore-dump.js';
import { readReported, writeReported } from './reported-files.js';

export class PstoreWatcher implements RunningProbe {
  readonly #settings: ProbeSettings['pstore'];
  readonly #context: ProbeContext;
  #timer: { cancel(): void } | undefined;
  #scanning: Promise<void> = Promise.resolve();
  #stopped = false;
  #missingLogged = false;

  constructor(settings: ProbeSettings['pstore'], context: ProbeContext) {
    this.#settings = settings;
    this.#context = context;
    this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#scanning;
  }

  #run(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#scanning = this.#scan()
      .catch((error: unknown) => this.#context.logger.error({ err: error }, 'pstore probe failed to read the pstore directory'))
      .finally(() => {
        if (!this.#stopped) this.#timer = this.#context.clock.setTimeout(() => this.#run(), this.#settings.every);
      });
  }

  async #scan(): Promise<void> {
    const { logger, stateDir } = this.#context;
    const dir = underRoot(this.#context.root, this.#settings.dir);
    let files;
    try {
      files = await readPstoreFiles(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!this.#missingLogged) logger.info({ dir }, `pstore probe: ${dir} does not exist (pstore not mounted?); looking again every ${this.#settings.every / 1000} s`);
      this.#missingLogged = true;
      return;
    }
    this.#missingLogged = false;
    const reported = readReported(stateDir);
    const present = new Set(files.map((file) => file.key));
    let changed = false;
    for (const key of reported) if (!present.has(key)) changed = reported.delete(key) || changed;

    const sent = new Set<string>();
    for (const dump of groupDumps(files)) {
      if (this.#stopped) break;
      if (dump.files.every((file) => reported.has(file.key))) continue;
      const outcome = await this.#report(dump, sent);
      if (outcome === 'stopping') break;
      if (outcome === 'removed') continue;
      for (const file of dump.files) reported.add(file.key);
      changed = true;
      // After each dump, so a restart does not report it again.
      writeReported(stateDir, reported);
      changed = false;
    }
    if (changed) writeReported(stateDir, reported);
  }

  /** Sends the dump's records; what became of its files. */
  async #report(dump: PstoreDump, sent: Set<string>): Promise<'removed' | 'remember' | 'stopping'> {
    const { emit, logger } = this.#context;
    // One panic can be in a dmesg dump and in the console log: its record goes once.
    const events = dumpEvents(dump, { modules: true }).filter((event) => !sent.has(event.payload));
    let spooled = true;
    for (const event of events) {
      sent.add(event.payload);
      try {
        spooled = (await emit(event)) && spooled;
      } catch {
        return 'stopping';
      }
    }
    if (!this.#settings.remove_after_report || events.length === 0 || !spooled) return 'remember';
    try {
      for (const file of dump.files) await rm(file.path, { force: true });
      logger.info({ files: dump.files.map((file) => file.name) }, 'pstore probe: reported and removed');
      return 'removed';
    } catch (error) {
      logger.error({ err: error }, 'pstore probe cannot remove a reported pstore entry; it is remembered instead');
      return 'remember';
    }
  }
}
