/**
 * The journal probe inside the agent: `journalctl --follow` from where it should start, each
 * selected entry emitted and its cursor saved once `emit` resolved (a crash sends the entry in
 * flight again at most, and never skips one), journalctl started again with a growing delay when
 * it exits, and one logged error and nothing else when there is no journalctl to run.
 *
 * Where reading starts (upstream's journalprobe had no cursor: at boot it read the whole current
 * boot, journal-probe.service; when started later by telemctl it read only new entries,
 * journal-probe-tail.service with -t, so that errors logged before opting in were not sent):
 *   * a saved cursor of the current boot: the entry after it;
 *   * a saved cursor of an earlier boot: the start of the current boot, as upstream at boot;
 *   * no saved cursor (the probe's first start): the end of the journal, as upstream's -t; that end
 *     is saved at once as the cursor, so a restart before the first error loses nothing either.
 */
import { TelemError } from '../../errors/telem-error.js';
import type { ProbeContext, RunningProbe } from '../probe.js';
import { currentJournalBootId } from './current-boot.js';
import { cursorBootId, cursorFile, readCursor, writeCursor } from './cursor-file.js';
import { entryEvent } from './entry-event.js';
import { type JournalSettings, journalctlSelection, selectsEntry } from './entry-filter.js';
import type { JournalEntry } from './journal-entry.js';
import { describeExit, type JournalctlExit, type JournalctlOptions, type JournalctlProcess, readJournal, runJournalctl } from './journalctl.js';

/** Delay before journalctl is started again after it exited; doubled each time, up to the maximum. */
export const FIRST_RESTART_DELAY_MS = 1000;
export const MAX_RESTART_DELAY_MS = 5 * 60_000;
/** A journalctl that ran this long before it exited was fine until then: the delays start over. */
export const STEADY_RUN_MS = 60_000;

interface StartPosition {
  readonly afterCursor?: string;
  readonly message: string;
}

type RunOutcome = { readonly kind: 'exited'; readonly exit: JournalctlExit } | { readonly kind: 'failed'; readonly error: TelemError } | { readonly kind: 'done' };

export class JournalFollower implements RunningProbe {
  readonly #settings: JournalSettings;
  readonly #context: ProbeContext;
  readonly #options: JournalctlOptions;
  readonly #done: Promise<void>;
  #stopped = false;
  #process: JournalctlProcess | null = null;
  #cancelDelay: (() => void) | null = null;
  #emitRejected = false;
  #cursorSaveFailing = false;

  constructor(settings: JournalSettings, context: ProbeContext, options: JournalctlOptions = {}) {
    this.#settings = settings;
    this.#context = context;
    this.#options = options;
    this.#done = this.#run().catch((error: unknown) => this.#context.logger.error({ err: error }, 'the journal probe stopped on an unexpected error'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelDelay?.();
    this.#process?.stop();
    await this.#done;
  }

  async #run(): Promise<void> {
    let delay = FIRST_RESTART_DELAY_MS;
    while (!this.#stopped) {
      const started = this.#context.clock.now();
      const outcome = await this.#runOnce();
      if (outcome.kind === 'done' || this.#stopped) return;
      if (outcome.kind === 'failed' && outcome.error.code === 'program-missing') {
        this.#context.logger.error({ code: outcome.error.code, hint: outcome.error.hint }, outcome.error.message);
        return;
      }
      if (this.#context.clock.now() - started >= STEADY_RUN_MS) delay = FIRST_RESTART_DELAY_MS;
      const what = outcome.kind === 'exited' ? `journalctl ${describeExit(outcome.exit)}` : outcome.error.message;
      this.#context.logger.warn(`${what}; starting it again in ${delay / 1000} s`);
      await this.#delay(delay);
      delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    }
  }

  async #runOnce(): Promise<RunOutcome> {
    try {
      const bootId = await currentJournalBootId(this.#context.root);
      if (bootId === null) this.#context.logger.warn('cannot read the boot id: the journal probe reads the entries of every boot');
      const position = await this.#startPosition(bootId);
      if (this.#stopped) return { kind: 'done' };
      this.#context.logger.info(position.afterCursor === undefined ? {} : { cursor: position.afterCursor }, position.message);
      const query = { source: { root: this.#context.root }, bootId, selection: journalctlSelection(this.#settings), afterCursor: position.afterCursor, follow: true };
      this.#process = runJournalctl(query, (entry) => this.#handle(entry), this.#options);
      if (this.#stopped) this.#process.stop();
      const exit = await this.#process.finished;
      return { kind: 'exited', exit };
    } catch (error) {
      if (this.#emitRejected) {
        this.#context.logger.info('the agent is stopping: the journal probe stops reading');
        return { kind: 'done' };
      }
      if (error instanceof TelemError) return { kind: 'failed', error };
      throw error;
    } finally {
      this.#process = null;
    }
  }

  async #startPosition(bootId: string | null): Promise<StartPosition> {
    const saved = await readCursor(this.#context.stateDir).catch((error: unknown) => {
      this.#context.logger.warn(`cannot read the journal cursor in ${cursorFile(this.#context.stateDir)} (${String(error)}): starting as if for the first time`);
      return null;
    });
    if (saved !== null && (bootId === null || cursorBootId(saved) === bootId)) return { afterCursor: saved, message: 'reading the journal after the saved cursor' };
    if (saved !== null) return { message: 'reading the journal from the start of the current boot: the saved cursor is from an earlier boot' };
    const [newest] = await readJournal({ source: { root: this.#context.root }, bootId, lines: 1 }, this.#options);
    if (newest?.cursor === undefined) return { message: 'reading the journal from the start of the current boot, which has no entries yet (first start)' };
    this.#saveCursor(newest.cursor);
    return { afterCursor: newest.cursor, message: 'reading the journal from its end: at the first start, entries logged before it are not sent' };
  }

  async #handle(entry: JournalEntry): Promise<void> {
    if (this.#stopped || !selectsEntry(this.#settings, entry)) return;
    try {
      // Refused (false) by collection, consent or a limit: handled all the same, not offered again.
      await this.#context.emit(entryEvent(this.#settings, entry));
    } catch (error) {
      this.#emitRejected = true;
      throw error;
    }
    if (entry.cursor !== undefined) this.#saveCursor(entry.cursor);
  }

  #saveCursor(cursor: string): void {
    try {
      writeCursor(this.#context.stateDir, cursor);
      this.#cursorSaveFailing = false;
    } catch (error) {
      // Logged once per run of failures: the probe goes on, and after a restart sends again what followed the last saved cursor.
      if (!this.#cursorSaveFailing) this.#context.logger.warn(`cannot save the journal cursor in ${cursorFile(this.#context.stateDir)}: ${String(error)}`);
      this.#cursorSaveFailing = true;
    }
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#context.clock.setTimeout(() => {
        this.#cancelDelay = null;
        resolve();
      }, ms);
      this.#cancelDelay = () => {
        timer.cancel();
        this.#cancelDelay = null;
        resolve();
      };
    });
  }
}
