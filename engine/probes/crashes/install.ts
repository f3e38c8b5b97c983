/**
 * Making telem the kernel's core dump handler — the only place that writes core_pattern, and
 * only as a sysctl drop-in (upstream shipped src/data/40-crash-probe.conf.in the same way): the
 * file takes effect at boot, or now with `sysctl -p FILE`. The pattern that was in effect before
 * is written into the file as a comment, so uninstalling can say how to put it back.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { TelemError } from '../../errors/telem-error.js';
import { underRoot } from '../../paths/root.js';
import { writeFileAtomic } from '../../paths/write-atomic.js';

export const SYSCTL_DROP_IN = '/etc/sysctl.d/40-telem-crash.conf';
export const CORE_PATTERN_FILE = '/proc/sys/kernel/core_pattern';
/** The kernel's specifiers, in the order `telem crash-report` takes them: global PID, signal, comm, path with "!" for "/". */
export const CORE_PATTERN_ARGUMENTS = 'crash-report %P %s %e %E';
/** The kernel's own default, for a machine whose earlier pattern is not known. */
export const KERNEL_DEFAULT_PATTERN = 'core';
// CORENAME_MAX_SIZE: the kernel keeps 128 bytes of core_pattern, its NUL included.
const MAX_PATTERN_BYTES = 127;
const BEFORE_PREFIX = '# before: kernel.core_pattern=';
// Where systemd-sysctl and `sysctl --system` read drop-ins; a file name in an earlier directory hides the same name in later ones.
const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];
const SETS_CORE_PATTERN = /^\s*-?\s*kernel[./]core_pattern\s*=/m;

export function corePattern(program: string): string {
  return `|${program} ${CORE_PATTERN_ARGUMENTS}`;
}

/** A value quoted for a POSIX shell, for the commands printed to the user. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=%@+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function dropInText(pattern: string, previous: string | null): string {
  return (
    '# Written by `telem crash-report --install`: the kernel pipes every core dump to telem, which\n' +
    "# reports the crash as the policy's collection.probes.crashes says (nothing while it is off).\n" +
    '# `telem crash-report --uninstall` removes this file.\n' +
    (previous === null ? '' : `${BEFORE_PREFIX}${previous}\n`) +
    `kernel.core_pattern=${pattern}\n`
  );
}

async function readText(file: string): Promise<string | null> {
  return readFile(file, 'utf8').catch(() => null);
}

/** The pattern recorded in an installed drop-in as the one before it, or null. */
async function recordedPrevious(file: string): Promise<string | null> {
  const text = await readText(file);
  const line = text?.split('\n').find((candidate) => candidate.startsWith(BEFORE_PREFIX));
  return line === undefined ? null : line.slice(BEFORE_PREFIX.length);
}

/** Drop-ins applied after ours at boot that set core_pattern too (their value wins), as system paths. */
async function laterSetters(root: string): Promise<string[]> {
  const ours = path.basename(SYSCTL_DROP_IN);
  const seen = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    const names = await readdir(underRoot(root, dir)).catch(() => [] as string[]);
    for (const name of names) if (name.endsWith('.conf') && !seen.has(name)) seen.set(name, path.posix.join(dir, name));
  }
  const later = [...seen.entries()].filter(([name]) => name > ours).sort(([a], [b]) => (a < b ? -1 : 1));
  const found: string[] = [];
  for (const [, file] of later) if (SETS_CORE_PATTERN.test((await readText(underRoot(root, file))) ?? '')) found.push(file);
  if (SETS_CORE_PATTERN.test((await readText(underRoot(root, '/etc/sysctl.conf'))) ?? '')) found.push('/etc/sysctl.conf');
  return found;
}

export interface Installed {
  /** The drop-in written (under the root). */
  readonly file: string;
  readonly content: string;
  readonly pattern: string;
  /** The pattern in effect before, recorded in the file; null when it could not be read. */
  readonly previous: string | null;
  /** Other drop-ins that set core_pattern after this one at boot (system paths). */
  readonly overriddenBy: readonly string[];
}

export async function installCrashHandler(options: { root: string; program: string }): Promise<Installed> {
  const pattern = corePattern(options.program);
  if (!path.isAbsolute(options.program) || /\s/.test(options.program)) {
    throw new TelemError('core-pattern-invalid', `the kernel needs an absolute path without spaces to run as the core handler, not "${options.program}"`, {
      hint: 'name the telem executable with --program PATH',
    });
  }
  if (Buffer.byteLength(pattern) > MAX_PATTERN_BYTES) {
    throw new TelemError('core-pattern-invalid', `kernel.core_pattern holds at most ${MAX_PATTERN_BYTES} bytes; "${pattern}" has ${Buffer.byteLength(pattern)}`, {
      hint: 'name a shorter path of the telem executable (a symbolic link such as /usr/bin/telem) with --program PATH',
    });
  }
  const file = underRoot(options.root, SYSCTL_DROP_IN);
  const current = (await readText(underRoot(options.root, CORE_PATTERN_FILE)))?.replace(/\n$/, '') ?? null;
  // Installed before: the pattern from before that install is the one to give back.
  const previous = current !== null && !current.includes(` ${CORE_PATTERN_ARGUMENTS}`) ? current : await recordedPrevious(file);
  const content = dropInText(pattern, previous);
  try {
    writeFileAtomic(file, content);
  } catch (error) {
    throw new TelemError('system', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return { file, content, pattern, previous, overriddenBy: await laterSetters(options.root) };
}

export interface Uninstalled {
  readonly file: string;
  /** False when there was no drop-in to remove. */
  readonly removed: boolean;
  /** The pattern to put back: the one recorded at install, else the kernel's default. */
  readonly restore: string;
}

export async function uninstallCrashHandler(options: { root: string }): Promise<Uninstalled> {
  const file = underRoot(options.root, SYSCTL_DROP_IN);
  const exists = (await readText(file)) !== null;
  const restore = (await recordedPrevious(file)) ?? KERNEL_DEFAULT_PATTERN;
  try {
    await rm(file, { force: true });
  } catch (error) {
    throw new TelemError('system', `cannot remove ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  return { file, removed: exists, restore };
}

/** The command that makes the running kernel follow the installed drop-in. */
export function installApplyCommand(installed: Pick<Installed, 'file'>): string[] {
  return ['sysctl', '-p', installed.file];
}

/** The command that puts back the pattern from before the install. */
export function uninstallApplyCommand(uninstalled: Pick<Uninstalled, 'restore'>): string[] {
  return ['sysctl', '-w', `kernel.core_pattern=${uninstalled.restore}`];
}

/** Runs one of those commands: only for `--apply`, never on a temporary root. */
export async function applyToKernel(command: readonly string[]): Promise<string> {
  const [file, ...args] = command as [string, ...string[]];
  try {
    const { stdout } = await promisify(execFile)(file, args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stderr?: string };
    throw new TelemError('system', `${command.join(' ')} failed: ${failed.stderr?.trim() || failed.code || failed.message}`, { cause: error });
  }
}
