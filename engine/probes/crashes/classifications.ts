/** The classifications and severities of upstream's crashprobe (crash_probe.c:64-71), kept so existing backends see what they always saw. */
export const CRASH_CLASSIFICATIONS = {
  /** A backtrace of a program under full_reports. */
  clr: { classification: 'org.clearlinux/crash/clr', severity: 3 },
  /** A program built in a Clear Linux package build (mock's /builddir/build/BUILD/). */
  clrBuild: { classification: 'org.clearlinux/crash/clr-build', severity: 2 },
  /** A third party's program: outside full_reports. */
  unknown: { classification: 'org.clearlinux/crash/unknown', severity: 2 },
  /** Unwinding failed or was cut short; the payload says why and holds what was unwound. */
  error: { classification: 'org.clearlinux/crash/error', severity: 4 },
} as const;

export const CLR_BUILD_PAYLOAD = 'Crash from Clear package build\n';
export const THIRD_PARTY_PAYLOAD = 'Crash from third party\n';
