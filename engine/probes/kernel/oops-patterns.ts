/**
 * The lines that start an oops, in the order they are tried, with the classification and
 * severity of the record each one gives. The first part is upstream's table as it is
 * (telemetrics-client src/probes/oops_parser.c:39-170, reference §E.13), so existing backends see
 * the records they always saw. The second part is telem's: the same events as today's kernels word
 * them, where the old wording no longer matches.
 */

export interface OopsPattern {
  /** A line starting with this text (case-sensitive), or matching this expression, starts an oops. */
  readonly begins: string | RegExp;
  readonly classification: string;
  readonly severity: 2 | 4;
}

const WARNING = 'org.clearlinux/kernel/warning';
const BUG = 'org.clearlinux/kernel/bug';
const MEDIUM = 2;
const CRITICAL = 4;

const UPSTREAM_PATTERNS: readonly OopsPattern[] = [
  { begins: 'NETDEV WATCHDOG: ', classification: WARNING, severity: MEDIUM },
  { begins: 'sysctl table check failed: ', classification: WARNING, severity: MEDIUM },
  { begins: 'IRQ handler type mismatch for IRQ', classification: WARNING, severity: MEDIUM },
  // Upstream's two POSIX expressions, compiled with REG_ICASE and matched anywhere in the line.
  { begins: /^ALSA (.*): BUG(.*)/i, classification: 'crash/kernel/bug', severity: MEDIUM },
  { begins: /irq [0-9]+: nobody cared/i, classification: 'crash/kernel/warning', severity: MEDIUM },
  { begins: 'WARNING: ', classification: WARNING, severity: MEDIUM },
  { begins: 'general protection fault: ', classification: BUG, severity: CRITICAL },
  { begins: 'BUG: unable to handle kernel ', classification: BUG, severity: CRITICAL },
  { begins: 'BUG:', classification: BUG, severity: CRITICAL },
  { begins: 'kernel BUG at', classification: BUG, severity: CRITICAL },
  { begins: 'general protection fault:', classification: BUG, severity: CRITICAL },
  { begins: 'do_IRQ: stack overflow:', classification: 'org.clearlinux/kernel/stackoverflow', severity: CRITICAL },
  { begins: 'RTNL: assertion failed', classification: WARNING, severity: MEDIUM },
  { begins: 'Eeek! page_mapcount(page) went negative!', classification: BUG, severity: CRITICAL },
  { begins: 'near stack overflow (cur:', classification: BUG, severity: CRITICAL },
  { begins: 'double fault', classification: BUG, severity: CRITICAL },
  { begins: 'Badness', classification: BUG, severity: CRITICAL },
  { begins: 'list_del corruption.', classification: WARNING, severity: MEDIUM },
  { begins: 'list_add corruption.', classification: WARNING, severity: MEDIUM },
  { begins: 'ACPI Error:', classification: WARNING, severity: MEDIUM },
  { begins: 'Kernel panic - not syncing:', classification: 'org.clearlinux/kernel/panic', severity: CRITICAL },
  { begins: 'BERT: Error records from previous boot:', classification: 'org.clearlinux/bert/debug', severity: MEDIUM },
];

const CURRENT_KERNEL_PATTERNS: readonly OopsPattern[] = [
  // Since 4.15 the lockup detector prefixes its messages: "watchdog: BUG: soft lockup - CPU#3 stuck for 23s!".
  { begins: 'watchdog: BUG:', classification: BUG, severity: CRITICAL },
  // Since 5.x: "general protection fault, probably for non-canonical address 0x…: 0000 [#1] SMP".
  { begins: 'general protection fault, ', classification: BUG, severity: CRITICAL },
  // Since 4.13 x86 words a double fault "PANIC: double fault, error_code: 0x0".
  { begins: 'PANIC: double fault', classification: BUG, severity: CRITICAL },
  // arm64, riscv and others report a bad access without "BUG: ": "Unable to handle kernel NULL pointer dereference at virtual address …".
  { begins: 'Unable to handle kernel ', classification: BUG, severity: CRITICAL },
  // lib/list_debug.c words some of its reports with a comma: "list_del corruption, ffff…->next is NULL".
  { begins: 'list_del corruption,', classification: WARNING, severity: MEDIUM },
  { begins: 'list_add corruption,', classification: WARNING, severity: MEDIUM },
];

export const OOPS_PATTERNS: readonly OopsPattern[] = [...UPSTREAM_PATTERNS, ...CURRENT_KERNEL_PATTERNS];

/** The pattern a line (level and timestamp already taken off) starts an oops with, if any. */
export function oopsPattern(line: string): OopsPattern | undefined {
  return OOPS_PATTERNS.find((pattern) => (typeof pattern.begins === 'string' ? line.startsWith(pattern.begins) : pattern.begins.test(line)));
}

/** Every classification the patterns give, once each. */
export function oopsClassifications(): string[] {
  return [...new Set(OOPS_PATTERNS.map((pattern) => pattern.classification))];
}

/** The BERT dump is the one message whose lines are sent as they are, not read as a trace. */
export function isBertPattern(pattern: OopsPattern): boolean {
  return pattern.classification === 'org.clearlinux/bert/debug';
}

/** Upstream lets an ALSA BUG run on through a WARNING (its trace follows): the one pattern a new oops does not end. */
export function isAlsaPattern(pattern: OopsPattern): boolean {
  return pattern === UPSTREAM_PATTERNS[3];
}
