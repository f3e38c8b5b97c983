/**
 * Which kernel log lines make up one oops. A line that starts an oops (oops-patterns.ts) opens
 * one; the lines after it belong to it until its end, which is, as upstream's parser
 * (oops_parser.c parse_single_line) has it:
 *   * a "---[ end trace …" line;
 *   * the end of its "Call Trace:": the first line that is no frame (no leading space, shorter
 *     than 8 characters, a "Code:" line);
 *   * a line that says a new oops begins ("WARNING:", "Unable to handle", and "[ cut here ]",
 *     which today's kernels print before each WARNING and BUG) — except after an ALSA BUG, which
 *     upstream lets run on into the WARNING trace that follows it;
 *   * for the BERT dump, the first line without "[Hardware Error]:";
 * and, unlike upstream, also the close of today's "<TASK> … </TASK>" trace: inside the markers,
 * the register dump of the interrupted or user context ("RIP: 0033:…", "Code: …") is part of the
 * trace; after the last "</TASK>" only "Modules linked in:" (wrapped or not) and "CR2:" lines still belong to it.
 * The caller ends an oops that stops short (end of a file, a quiet kernel log) with `flush`.
 *
 * Two departures from upstream, both so no oops is lost: a line that ended one oops is tried as
 * the start of the next (upstream dropped it, and with it the second of two WARNINGs in a row),
 * and an oops ends after 400 lines instead of 100 (today's traces with register dumps are long).
 */
import type { KernelLine } from './kernel-line.js';
import { type OopsPattern, isAlsaPattern, isBertPattern, oopsPattern } from './oops-patterns.js';

/** Where in the oops a line is: before its call trace, in it, or after it. */
export type OopsPart = 'head' | 'trace' | 'tail';

export interface OopsLine {
  readonly text: string;
  readonly part: OopsPart;
}

export interface OopsMessage {
  readonly pattern: OopsPattern;
  /** The lines, the first being the one that matched the pattern (the reason). */
  readonly lines: readonly OopsLine[];
  /** The first line as it came in, with its kmsg sequence number and time when it had them. */
  readonly first: KernelLine;
  /** The last line that belongs to the oops. */
  readonly last: KernelLine;
}

export const MAX_OOPS_LINES = 400;

type Phase = 'head' | 'trace' | 'tail' | 'bert';
type Verdict = 'keep' | 'end' | 'end-and-drop';

interface Open {
  readonly pattern: OopsPattern;
  readonly lines: OopsLine[];
  readonly first: KernelLine;
  last: KernelLine;
  phase: Phase;
  /** How many <TASK>, <IRQ>, <NMI> … sections of the trace are open. */
  depth: number;
}

const CALL_TRACE = /^Call [Tt]race:/;
// A line that is only a section marker of a trace: " <TASK>", " </IRQ>", " <NMI>", " <#DF>".
const SECTION_MARKER = /^\s*<(\/?)([A-Z#][A-Z]*)>\s*$/;
// The register dump the kernel prints inside a trace for the context it interrupted.
const REGISTER_DUMP = /^(?:R(?:IP|SP|AX|BX|CX|DX|SI|DI|BP|0[89]|1[0-5])|[CDEFGS]S|CR[0-4]|DR[0-7]|EFLAGS|ORIG_RAX|PKRU|Code):/;
const AFTER_TRACE = /^(?:Modules linked in:|CR2: )/i;

export class OopsCollector {
  #open: Open | null = null;

  /** The first line of the oops being collected, if one is open. */
  get openSince(): KernelLine | undefined {
    return this.#open?.first;
  }

  /** Takes one line; returns the oopses it completed (none, one, or rarely one ended and another begun). */
  push(line: KernelLine): OopsMessage[] {
    const done: OopsMessage[] = [];
    const open = this.#open;
    if (open !== null) {
      const verdict = this.#verdict(open, line.text);
      if (verdict === 'keep') {
        open.lines.push({ text: line.text, part: open.phase === 'bert' ? 'head' : open.phase });
        open.last = line;
        return done;
      }
      done.push(this.#close(open));
      if (verdict === 'end-and-drop') return done;
    }
    const pattern = oopsPattern(line.text);
    if (pattern !== undefined) {
      this.#open = { pattern, lines: [{ text: line.text, part: 'head' }], first: line, last: line, phase: isBertPattern(pattern) ? 'bert' : 'head', depth: 0 };
    }
    return done;
  }

  /** Ends the oops being collected, if any: the log stopped (end of file, or quiet for a while). */
  flush(): OopsMessage[] {
    return this.#open === null ? [] : [this.#close(this.#open)];
  }

  #close(open: Open): OopsMessage {
    this.#open = null;
    return { pattern: open.pattern, lines: open.lines, first: open.first, last: open.last };
  }

  #verdict(open: Open, text: string): Verdict {
    if (open.lines.length >= MAX_OOPS_LINES) return 'end';
    if (text.includes('[ end trace')) return 'end-and-drop';
    if (!isAlsaPattern(open.pattern) && (text.includes('WARNING:') || text.includes('Unable to handle') || text.includes('[ cut here ]'))) return 'end';
    switch (open.phase) {
      case 'bert':
        return text.includes('[Hardware Error]:') ? 'keep' : 'end';
      case 'head':
        if (CALL_TRACE.test(text)) open.phase = 'trace';
        return 'keep';
      case 'tail':
        // A long module list the kernel wrapped goes on in lines that start with a space.
        return AFTER_TRACE.test(text) || text.startsWith(' ') ? 'keep' : 'end';
      case 'trace':
        return traceVerdict(open, text);
    }
  }
}

function traceVerdict(open: Open, text: string): Verdict {
  const marker = SECTION_MARKER.exec(text);
  if (marker !== null) {
    const closing = marker[1] === '/';
    if (marker[2] === 'EOI' || marker[2] === 'EOE') return 'keep';
    open.depth = Math.max(0, open.depth + (closing ? -1 : 1));
    if (closing && open.depth === 0 && marker[2] === 'TASK') open.phase = 'tail';
    return 'keep';
  }
  if (open.depth > 0 && (text.startsWith(' ') || REGISTER_DUMP.test(text))) return 'keep';
  // Upstream's test for the end of a trace without section markers (and of one with them, between sections).
  if (!text.startsWith(' ') || text.length < 8 || text.includes('Code:') || text.includes('Instruction Dump::')) return 'end';
  return 'keep';
}
