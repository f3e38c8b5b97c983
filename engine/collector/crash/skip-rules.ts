/**
 * The skip list of crash signatures: frames that say how a program died (raise, abort, an assertion
 * handler, a libc string routine, the kernel's WARN and oops machinery) rather than where it went
 * wrong, after Mozilla Socorro's irrelevant-frame list and upstream TelemetryUI's guilty blacklist.
 *
 * A rule is one pattern:
 *   raise                   a function, by its normalised name (crash/frames.ts)
 *   __memcpy_*              "*" matches any run of characters (the only wildcard: "??" is a name)
 *   raise [libc.so.6]       a function in a module; the module matches the frame's module or its
 *                           file name ("/usr/lib64/libc.so.6"), and may use "*" too
 *   [libfoo.so.1]           every function of a module
 *   ? *                     a leading "? " limits the rule to frames the kernel marks unreliable
 */
import type { Frame } from './frames.js';

export interface SkipRule {
  readonly pattern: string;
  /** Why the frame says nothing about the crash, for the people editing the list. */
  readonly note?: string | undefined;
}

/** A pattern read: each part null when the rule does not test it. */
export interface ParsedSkipRule {
  readonly unreliableOnly: boolean;
  readonly function: string | null;
  readonly module: string | null;
}

export const MAX_PATTERN_LENGTH = 200;
export const MAX_NOTE_LENGTH = 500;
export const MAX_RULES = 500;

const LIBC = 'libc: how a failed check or a signal ends the process';
const LIBC_COPY = 'libc: a string or memory routine that was handed a bad pointer';
const GLIB = 'GLib: the assertion handler';
const KERNEL_WARN = 'kernel: how a WARN or BUG is printed';
const KERNEL_OOPS = 'kernel: how an oops or a page fault is handled';

/** The skip list a database starts with (migration 8 seeds crash_skip_rules with it). */
export const DEFAULT_SKIP_RULES: readonly SkipRule[] = [
  ...[
    'raise',
    '__GI_raise',
    'abort',
    '__GI_abort',
    '__assert_fail',
    '__assert_fail_base',
    '__pthread_kill_implementation',
    'pthread_kill',
    '__libc_message',
    '__fortify_fail',
    '__stack_chk_fail',
  ].map((pattern) => ({ pattern, note: LIBC })),
  { pattern: 'malloc_printerr', note: 'libc: the heap checker reporting corruption' },
  { pattern: '_int_free', note: 'libc: the heap checker reporting corruption' },
  { pattern: 'free', note: 'libc: the heap checker reporting corruption' },
  ...['memcpy', '__memcpy_*', 'memmove', '__memmove_*', 'memset', '__memset_*', 'strlen', '__strlen_*', 'strcmp', '__strcmp_*'].map((pattern) => ({ pattern, note: LIBC_COPY })),
  { pattern: 'g_assertion_message*', note: GLIB },
  { pattern: '??', note: 'a frame without a symbol' },
  ...[
    'dump_stack',
    'dump_stack_lvl',
    'show_stack',
    'warn_slowpath_common',
    'warn_slowpath_fmt',
    'warn_slowpath_null',
    'warn_on_slowpath',
    '__warn',
    'report_bug',
    'handle_bug',
    'exc_invalid_op',
    'asm_exc_invalid_op',
    'do_error_trap',
  ].map((pattern) => ({ pattern, note: KERNEL_WARN })),
  ...['panic', '__die', 'oops_end', 'no_context', 'page_fault_oops', 'exc_page_fault', 'asm_exc_page_fault'].map((pattern) => ({ pattern, note: KERNEL_OOPS })),
  { pattern: '? *', note: 'kernel: a frame it marks unreliable (a stale address on the stack)' },
];

/** What the patterns look like, for messages. */
export const PATTERN_FORMS =
  'a function name ("raise"), a glob ("__memcpy_*"), either followed by a module in brackets ("raise [libc.so.6]"), a module alone ("[libc.so.6]"), and "? " in front for unreliable frames only ("? *")';

const UNRELIABLE_PREFIX = '? ';
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The pattern read, or why it is not one. */
export function parseSkipPattern(pattern: string): ParsedSkipRule | { readonly problem: string } {
  if (pattern.trim() === '') return { problem: 'is empty' };
  if (pattern.length > MAX_PATTERN_LENGTH) return { problem: `is longer than ${MAX_PATTERN_LENGTH} characters` };
  if (CONTROL.test(pattern)) return { problem: 'has a control character (a line break or tab)' };
  if (pattern !== pattern.trim()) return { problem: 'starts or ends with a space' };
  const unreliableOnly = pattern.startsWith(UNRELIABLE_PREFIX);
  const rest = unreliableOnly ? pattern.slice(UNRELIABLE_PREFIX.length) : pattern;
  const open = rest.indexOf('[');
  if (open < 0) {
    if (rest.includes(']')) return { problem: 'has a "]" without a "[" before it' };
    if (rest.trim() === '') return { problem: 'names no function after "? " (use "? *" for every unreliable frame)' };
    return { unreliableOnly, function: rest.trim(), module: null };
  }
  if (!rest.endsWith(']') || rest.indexOf(']') !== rest.length - 1 || rest.indexOf('[', open + 1) >= 0) {
    return { problem: 'has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")' };
  }
  const module = rest.slice(open + 1, -1).trim();
  if (module === '') return { problem: 'has an empty module "[]"' };
  const before = rest.slice(0, open);
  if (before !== '' && !before.endsWith(' ')) return { problem: 'needs a space between the function and its "[module]"' };
  const name = before.trim();
  return { unreliableOnly, function: name === '' ? null : name, module };
}

/**
 * Whether `glob` ("*" for any run of characters, nothing else special) matches all of `text`. Each
 * piece between "*"s is taken at its leftmost place, which leaves the most room for the rest, so no
 * choice is revisited (no backtracking, whatever the pattern).
 */
export function starMatches(glob: string, text: string): boolean {
  const pieces = glob.split('*');
  const first = pieces[0] as string;
  if (pieces.length === 1) return glob === text;
  const last = pieces[pieces.length - 1] as string;
  if (first.length + last.length > text.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = text.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

function moduleMatches(glob: string, module: string | null): boolean {
  if (module === null) return false;
  return starMatches(glob, module) || starMatches(glob, module.slice(module.lastIndexOf('/') + 1));
}

export function ruleMatches(rule: ParsedSkipRule, frame: Frame): boolean {
  if (rule.unreliableOnly && !frame.unreliable) return false;
  if (rule.function !== null && !starMatches(rule.function, frame.function)) return false;
  return rule.module === null || moduleMatches(rule.module, frame.module);
}

/** A compiled skip list; `problems` names the patterns left out because they are not patterns. */
export interface SkipList {
  skips(frame: Frame): boolean;
  readonly problems: readonly { readonly pattern: string; readonly problem: string }[];
}

export function skipList(patterns: readonly string[]): SkipList {
  const rules: ParsedSkipRule[] = [];
  const problems: { pattern: string; problem: string }[] = [];
  // Plain names (most of any list) are one set lookup; the rest are tested in turn.
  const names = new Set<string>();
  for (const pattern of patterns) {
    const parsed = parseSkipPattern(pattern);
    if ('problem' in parsed) problems.push({ pattern, problem: parsed.problem });
    else if (!parsed.unreliableOnly && parsed.module === null && parsed.function !== null && !parsed.function.includes('*')) names.add(parsed.function);
    else rules.push(parsed);
  }
  return {
    skips: (frame) => names.has(frame.function) || rules.some((rule) => ruleMatches(rule, frame)),
    problems,
  };
}
