/**
 * Which crashes are sent with their backtrace (upstream crash_probe.c in_clr_build() and
 * is_banned_path(), with the prefixes taken from collection.probes.crashes.full_reports): a
 * program built under /builddir/build/BUILD/ (a Clear Linux package build) is reported as such
 * and nothing more, a program outside `paths` or inside `except` is a third party's and is
 * reported without anything read from its core. Decided from the path alone, so a filtered core
 * is never unwound.
 */
import type { ProbeSettings } from '../probe.js';

export type FullReports = ProbeSettings['crashes']['full_reports'];

export type CrashFilter = 'full' | 'clr-build' | 'third-party';

/** mock's chroot, where rpmbuild builds Clear Linux packages. */
export const CLR_BUILD_DIR = '/builddir/build/BUILD/';

/** The kernel's %E: the executable's path with every "/" written as "!". */
export function pathFromCorePattern(text: string): string {
  return text.replaceAll('!', '/');
}

export function filterCrash(executable: string, fullReports: FullReports): CrashFilter {
  if (executable.includes(CLR_BUILD_DIR)) return 'clr-build';
  if (!fullReports.paths.some((prefix) => executable.startsWith(prefix))) return 'third-party';
  if (fullReports.except.some((prefix) => executable.startsWith(prefix))) return 'third-party';
  return 'full';
}
