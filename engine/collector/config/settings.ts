/** The collector's settings: the `collector` section of a resolved policy, or its defaults. */
import { collectorSchema } from '../../../schemas/collector.js';
import type { ResolvedPolicy } from '../../../schemas/resolved.js';
import type { PurgePlan } from '../storage/store.js';

export type CollectorSettings = ResolvedPolicy['collector'];

export function defaultCollectorSettings(): CollectorSettings {
  return collectorSchema.parse(undefined);
}

export function purgePlan(retention: CollectorSettings['retention']): PurgePlan {
  return {
    rules: retention.rules.map((rule) => ({ classification: rule.classification, severity: rule.severity ?? undefined, maxAgeMs: rule.max_age })),
    maxAgeMs: retention.max_age,
  };
}

/** "127.0.0.1:8080" / "[::1]:0" → host and port. */
export function parseListen(listen: string): { host: string; port: number } | null {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) return null;
  return { host: (match[1] ?? match[2]) as string, port };
}
