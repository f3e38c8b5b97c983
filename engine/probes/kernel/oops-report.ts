/**
 * What an oops says, read from its lines the way upstream's parse_backtrace did: the kernel
 * release and taint flags from the "CPU:" (or 2.6's "Pid:") line, the "Modules linked in:" list,
 * the registers of the oopsing context, and the frames of its call trace.
 */
import type { OopsLine, OopsMessage } from './oops-collector.js';
import { isBertPattern } from './oops-patterns.js';
import { type StackFrame, parseStackFrame } from './stack-frame.js';

export interface OopsReport {
  /** The line that started the oops. */
  readonly reason: string;
  /** "6.1.0-13-amd64 #1 Debian 6.1.55-1": the release and what follows it on the CPU line. */
  readonly kernelVersion?: string;
  /** "Not tainted", or the taint flags as the kernel printed them ("G        W  OE", fixed width). */
  readonly tainted?: string;
  readonly modules?: string;
  /** "RIP: dev_watchdog - [kernel]", "RAX: Zero", "RBX: Non-zero": values are not sent (upstream's privacy filter). */
  readonly registers: readonly string[];
  readonly frames: readonly StackFrame[];
  /** For the BERT dump: its lines after the first, sent as they are. */
  readonly dump?: readonly string[];
}

// Upstream's register list (oops_parser.c `registers`).
const REGISTER_NAMES = 'RIP|RSP|CR0|CR2|CR3|CR4|DR0|DR1|DR2|DR3|DR6|DR7|EFLAGS|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R08|R09|R10|R11|R12|R13|R14|R15|FS|GS|knlGS|CS|ES';
const REGISTER_LINE = new RegExp(`^(?:${REGISTER_NAMES}):`);
// NAME: [segment:]value, where the value is hex (FS: 00007f…(0000)), an old RIP's [<address>], or a symbol.
const REGISTER = new RegExp(`(?:^|\\s)(${REGISTER_NAMES}):\\s*(?:[0-9a-f]{4}:)?(\\S+)`, 'g');
const CPU_LINE = /^(?:CPU|PID): /i;
const MODULES = /^Modules linked in:/i;

export function readOops(message: OopsMessage): OopsReport {
  const [first, ...rest] = message.lines;
  const reason = first?.text ?? '';
  if (isBertPattern(message.pattern)) return { reason, registers: [], frames: [], dump: rest.map((line) => line.text) };

  let kernelVersion: string | undefined;
  let tainted: string | undefined;
  let modules: string | undefined;
  const registers = new Map<string, string>();
  for (const [index, line] of rest.entries()) {
    if (modules === undefined && MODULES.test(line.text)) {
      modules = joinWrappedModules(line.text.replace(MODULES, ''), rest.slice(index + 1));
    } else if (kernelVersion === undefined && tainted === undefined && CPU_LINE.test(line.text)) {
      ({ kernelVersion, tainted } = readCpuLine(line.text));
    } else if (line.part === 'head' && REGISTER_LINE.test(line.text)) {
      readRegisters(line.text, registers);
    }
  }
  return {
    reason,
    ...(kernelVersion === undefined ? {} : { kernelVersion }),
    ...(tainted === undefined ? {} : { tainted }),
    ...(modules === undefined || modules === '' ? {} : { modules }),
    registers: [...registers].map(([name, value]) => `${name}: ${value}`),
    frames: traceFrames(rest),
  };
}

/**
 * "CPU: 2 PID: 0 Comm: swapper/2 Not tainted 3.10.4-100.fc18.x86_64 #1", or with
 * "Tainted: G        W  OE   4.2.0-rc2-satori #1": the release is the word before the first
 * " #", the version is it and the rest of the line; the taint flags are what lies between
 * "Tainted: " and the release, less the one space before the release.
 */
export function readCpuLine(line: string): { kernelVersion?: string; tainted?: string } {
  let rest = line;
  let tainted: string | undefined;
  let flagsFrom: number | undefined;
  const notTainted = / Not tainted /.exec(line);
  if (notTainted !== null) {
    tainted = 'Not tainted';
    rest = line.slice(notTainted.index + ' Not tainted'.length);
  } else {
    const at = line.indexOf('Tainted: ');
    if (at >= 0) {
      rest = line.slice(at + 'Tainted: '.length);
      flagsFrom = 0;
    }
  }
  const release = /(\S+)\s#/.exec(rest);
  if (release === null) return flagsFrom === undefined ? (tainted === undefined ? {} : { tainted }) : { tainted: rest.trimEnd() };
  const kernelVersion = rest.slice(release.index).trimEnd();
  if (flagsFrom !== undefined) tainted = rest.slice(flagsFrom, release.index).replace(/ $/, '');
  return tainted === undefined ? { kernelVersion } : { kernelVersion, tainted };
}

// A list too long for one printk goes on in the next lines, each module with its leading space.
function joinWrappedModules(first: string, after: readonly OopsLine[]): string {
  const parts = [first.trim()];
  for (const line of after) {
    if (!line.text.startsWith(' ') || parseStackFrame(line.text) !== undefined || line.part === 'trace') break;
    parts.push(line.text.trim());
  }
  return parts.filter((part) => part !== '').join(' ');
}

function readRegisters(line: string, registers: Map<string, string>): void {
  for (const match of line.matchAll(REGISTER)) {
    const [, name = '', value = ''] = match;
    if (registers.has(name)) continue;
    if (name === 'RIP') {
      // "RIP: 0010:foo+0x25/0x80 [foo]", or before 4.10 "RIP: 0010:[<…>]  [<…>] foo+0x25/0x80 [foo]".
      const frame = parseStackFrame(line.slice((match.index ?? 0) + match[0].length - value.length).replace(/^\[<[0-9a-f]+>\]\s*/, ''));
      if (frame !== undefined && frame.function !== '???') {
        registers.set(name, `${frame.function} - [${frame.module}]`);
        continue;
      }
    }
    const hex = /^\[?<?([0-9a-f]+)/i.exec(value)?.[1];
    if (hex !== undefined) registers.set(name, /^0+$/.test(hex) ? 'Zero' : 'Non-zero');
  }
}

/**
 * The frames: those of the "Call Trace:" when there is one, else (2.6-era oopses printed frames
 * without a heading) the lines with a leading space at the end of the oops, as upstream read them.
 */
function traceFrames(lines: readonly OopsLine[]): StackFrame[] {
  const hasTrace = lines.some((line) => line.part === 'trace');
  let candidates: readonly OopsLine[];
  if (hasTrace) {
    candidates = lines.filter((line) => line.part === 'trace' && line.text.startsWith(' '));
  } else {
    let start = lines.length;
    while (start > 0 && (lines[start - 1] as OopsLine).text.startsWith(' ')) start -= 1;
    candidates = lines.slice(start);
  }
  return candidates.map((line) => parseStackFrame(line.text)).filter((frame) => frame !== undefined);
}
