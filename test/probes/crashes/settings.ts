/** Crash probe settings for tests: the schema's defaults (upstream's), with what a test changes. */
import { crashesProbeSchema } from '../../../schemas/probes.js';
import type { CrashSettings } from '../../../engine/probes/crashes/report.js';

export function crashSettings(overrides: Record<string, unknown> = {}): CrashSettings {
  return crashesProbeSchema.parse({ enabled: true, ...overrides });
}
