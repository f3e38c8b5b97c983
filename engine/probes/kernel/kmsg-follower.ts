/**
 * The kernel probe inside the agent: follows the kernel log and hands each oops to `emit`.
 *
 * Where it starts: at the first start (no saved position, or one saved for another `source`) at
 * the end of the log, as the schema promises — what happened before telem ran is not news; after
 * a restart in the same boot right after the last record it had dealt with; after a reboot (the
 * boot id differs) at the start of the new boot's log, so an oops during boot, before the agent
 * came up, is still reported. A log whose sequence numbers go back (a source that was replaced)
 * is read again from its start.
 *
 * When an oops is complete: at its end marker (oops-collector.ts), or when the log has been quiet
 * for a second with an oops open — a trace that stops short, or one whose last line is
 * "</TASK>" with nothing after it yet.
 *
 * What it remembers: the sequence number below which every record is dealt with — no part of an
 * oops still open or not yet spooled. It is saved once an emit resolved (and when caught up at
 * the first start, and at stop), so a crash of the agent may report an oops twice but never loses one.
 */
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from 'node:timers';
import { readBootId } from '../../journal/boot-id.js';
import { underRoot } from '../../paths/root.js';
import type { ProbeContext, ProbeSettings, RunningProbe } from '../probe.js';
import { readBootTime } from './boot-time.js';
import { type KernelLine, KernelLineSplitter } from './kernel-line.js';
import { readPosition, writePosition } from './kmsg-position.js';
import { KmsgSource } from './kmsg-source.js';
import { type OopsMessage, OopsCollector } from './oops-collector.js';
import { oopsEvent } from './oops-parser.js';

/** How long the log must stay quiet before an open oops is taken as complete. */
export const QUIET_MS = 1000;
/** How often the source is read again once it had nothing (real time: a read of a memory buffer, not a timeout). */
export const POLL_MS = 200;
/** How long after a failed open (or read) the source is tried again. */
export const REOPEN_MS = 10_000;

/** from-end: skipping what is there (first start); resume: skipping up to the saved position; all: every record is news. */
type Mode = 'from-end' | 'resume' | 'all';

export class KmsgFollower implements RunningProbe {
  readonly #settings: ProbeSettings['kernel'];
  readonly #context: ProbeContext;
  readonly #path: string;
  readonly #collector = new OopsCollector();
  #splitter = new KernelLineSplitter();
  #source: KmsgSource | null = null;
  #mode: Mode = 'from-end';
  /** Never saved below this: the position read at start (records up to it were dealt with before). */
  #floor = -1;
  /** Whether there is a position worth saving yet (not before the first start reached the end of the log). */
  #hasPosition = false;
  #lastSeq: number | undefined;
  #savedSeq: number | undefined;
  #bootId = '';
  #bootTimeMs: number | undefined;
  /** Oopses handed to the emit queue and not yet spooled. */
  readonly #pending = new Set<OopsMessage>();
  #chain: Promise<void> = Promise.resolve();
  #emitRefused = false;
  #poll: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #quiet: { cancel(): void } | undefined;
  #openFailed = false;
  #stopped = false;
  readonly #started: Promise<void>;

  constructor(settings: ProbeSettings['kernel'], context: ProbeContext) {
    this.#settings = settings;
    this.#context = context;
    this.#path = underRoot(context.root, settings.source);
    this.#started = this.#start().catch((error: unknown) => context.logger.error({ err: error }, 'kernel probe failed to start following the kernel log'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#started;
    this.#cancelTimers();
    await this.#chain;
    this.#save();
    this.#source?.close();
    this.#source = null;
  }

  async #start(): Promise<void> {
    const { root, stateDir, clock, logger } = this.#context;
    this.#bootId = await readBootId(root);
    this.#bootTimeMs = await readBootTime(root, clock.now());
    const saved = readPosition(stateDir);
    if (saved === undefined || saved.source !== this.#settings.source) {
      this.#mode = 'from-end';
      logger.info({ source: this.#settings.source }, 'kernel probe: first start, following the kernel log from its end');
    } else if (saved.bootId !== this.#bootId) {
      this.#mode = 'all';
      this.#hasPosition = true;
      logger.info({ source: this.#settings.source }, 'kernel probe: a new boot since it last ran, reading the kernel log from its start');
    } else {
      this.#mode = 'resume';
      this.#floor = saved.seq;
      this.#savedSeq = saved.seq;
      this.#hasPosition = true;
      logger.info({ source: this.#settings.source, seq: saved.seq }, 'kernel probe: resuming the kernel log after the last record it dealt with');
    }
    if (!this.#stopped) this.#pump();
  }

  #pump(): void {
    this.#poll = undefined;
    this.#immediate = undefined;
    if (this.#stopped) return;
    const read = this.#readAvailable();
    if (this.#collector.openSince === undefined) this.#cancelQuiet();
    else if (read?.fed === true || this.#quiet === undefined) this.#armQuiet();
    if (read === undefined) this.#poll = setTimeout(() => this.#pump(), REOPEN_MS).unref();
    else if (read.drained) this.#poll = setTimeout(() => this.#pump(), POLL_MS).unref();
    else this.#immediate = setImmediate(() => this.#pump());
  }

  /** Reads and handles what the source has now: whether it is drained and whether any line was news; undefined when it cannot be read. */
  #readAvailable(): { drained: boolean; fed: boolean } | undefined {
    const { logger } = this.#context;
    try {
      this.#source ??= KmsgSource.open(this.#path);
      this.#openFailed = false;
    } catch (error) {
      if (!this.#openFailed) logger.error({ err: error, source: this.#path }, `kernel probe cannot open ${this.#path}; trying again every ${REOPEN_MS / 1000} s`);
      this.#openFailed = true;
      return undefined;
    }
    let read;
    try {
      read = this.#source.read();
    } catch (error) {
      logger.error({ err: error, source: this.#path }, `kernel probe cannot read ${this.#path}; opening it again`);
      this.#reopen();
      return undefined;
    }
    if (read.overruns > 0) logger.warn({ source: this.#path, overruns: read.overruns }, 'kernel probe: the kernel log overwrote records before they were read; some are lost');
    let fed = false;
    for (const line of this.#splitter.push(read.text)) fed = this.#line(line) || fed;
    if (read.drained) this.#caughtUp();
    return { drained: read.drained, fed };
  }

  /** Handles one line; true when it went to the oops collector (it was news). */
  #line(line: KernelLine): boolean {
    const seq = line.seq;
    if (seq !== undefined) {
      if (this.#mode !== 'from-end' && this.#lastSeq !== undefined && seq < this.#lastSeq) {
        this.#context.logger.warn({ from: this.#lastSeq, to: seq }, 'kernel probe: the kernel log sequence went back; reading it as a new log');
        this.#restartLog();
      }
      this.#lastSeq = seq;
      if (this.#mode === 'from-end' || (this.#mode === 'resume' && seq <= this.#floor)) return false;
    }
    if (line.fromProgram === true) return false;
    for (const message of this.#collector.push(line)) this.#enqueue(message);
    return true;
  }

  #caughtUp(): void {
    if (this.#mode === 'from-end') {
      this.#mode = 'all';
      this.#floor = this.#lastSeq ?? -1;
      this.#hasPosition = true;
      this.#save();
    } else if (this.#mode === 'resume') {
      // Nothing read yet (a FIFO without a writer): the records to come are still compared with the position.
      if (this.#lastSeq === undefined) return;
      // In the same boot the log cannot end below the saved position — unless it is not the same log.
      if (this.#lastSeq < this.#floor) {
        this.#context.logger.warn({ saved: this.#floor, end: this.#lastSeq }, 'kernel probe: the kernel log ends before the saved position; reading it again from its start');
        this.#restartLog();
        this.#reopen();
      }
      this.#mode = 'all';
    }
  }

  /** From here on the log is a new one: what was remembered of the old one no longer holds. */
  #restartLog(): void {
    for (const message of this.#collector.flush()) this.#enqueue(message);
    this.#mode = 'all';
    this.#floor = -1;
    this.#lastSeq = undefined;
    this.#hasPosition = true;
  }

  #reopen(): void {
    this.#source?.close();
    this.#source = null;
    this.#splitter = new KernelLineSplitter();
  }

  #armQuiet(): void {
    this.#quiet?.cancel();
    this.#quiet = this.#context.clock.setTimeout(() => this.#onQuiet(), QUIET_MS);
  }

  #cancelQuiet(): void {
    this.#quiet?.cancel();
    this.#quiet = undefined;
  }

  #onQuiet(): void {
    this.#quiet = undefined;
    if (this.#stopped) return;
    // Lines may have come in since the last poll: they could still belong to the oops.
    const read = this.#readAvailable();
    if (this.#collector.openSince === undefined) return;
    if (read?.fed === true) this.#armQuiet();
    else for (const message of this.#collector.flush()) this.#enqueue(message);
  }

  #enqueue(message: OopsMessage): void {
    this.#pending.add(message);
    this.#chain = this.#chain.then(() => this.#emit(message)).catch((error: unknown) => this.#context.logger.error({ err: error }, 'kernel probe failed to report an oops'));
  }

  async #emit(message: OopsMessage): Promise<void> {
    if (this.#emitRefused) return;
    const event = oopsEvent(message, { modules: this.#settings.modules, bootTimeMs: this.#bootTimeMs });
    try {
      await this.#context.emit(event);
    } catch (error) {
      // The agent is stopping: this oops stays unsaved, so the next start reads it again.
      this.#emitRefused = true;
      this.#context.logger.debug({ err: error }, 'kernel probe: the agent took no more records');
      return;
    }
    this.#pending.delete(message);
    this.#save();
  }

  /** The sequence number up to which every record is dealt with, if any record was read. */
  #committed(): number | undefined {
    const open = [...this.#pending].map((message) => message.first.seq);
    open.push(this.#collector.openSince?.seq);
    const starts = open.filter((seq) => seq !== undefined);
    const seq = starts.length > 0 ? Math.min(...starts) - 1 : this.#lastSeq;
    if (!this.#hasPosition) return undefined;
    return Math.max(seq ?? this.#floor, this.#floor);
  }

  #save(): void {
    const seq = this.#committed();
    if (seq === undefined || seq === this.#savedSeq) return;
    try {
      writePosition(this.#context.stateDir, { bootId: this.#bootId, source: this.#settings.source, seq });
      this.#savedSeq = seq;
    } catch (error) {
      this.#context.logger.error({ err: error }, 'kernel probe cannot save its position in the kernel log');
    }
  }

  #cancelTimers(): void {
    clearTimeout(this.#poll);
    clearImmediate(this.#immediate);
    this.#poll = undefined;
    this.#immediate = undefined;
    this.#cancelQuiet();
  }
}
