/**
 * Decides what happens to a record under a runtime plan, before anything is stored:
 * collection (allow/deny, min severity, payload limit), redaction, then routes.
 */
import { isUtf8 } from 'node:buffer';
import { lookupTrie } from '../compile/classification-trie.js';
import type { RuntimePlan, RuntimeRoute } from '../compile/runtime-plan.js';
import { compileRedaction } from '../pattern/linear-regexp.js';
import type { TelemetryRecord } from '../record/fields.js';

export type RejectReason = 'denied' | 'not_allowed' | 'below_min_severity' | 'payload_too_large';

export type Decision =
  | { readonly kind: 'rejected'; readonly reason: RejectReason }
  | { readonly kind: 'unrouted'; readonly record: TelemetryRecord }
  | { readonly kind: 'routed'; readonly record: TelemetryRecord; readonly routes: readonly RuntimeRoute[] };

/** Classifications seen by one agent are few; their route candidates are cached up to this many. */
const CACHE_LIMIT = 4096;

export class Router {
  readonly #plan: RuntimePlan;
  readonly #redactions: readonly { readonly pattern: RegExp; readonly replace: string }[];
  readonly #candidates = new Map<string, { readonly collected: boolean; readonly denied: boolean; readonly routes: readonly RuntimeRoute[] }>();

  constructor(plan: RuntimePlan) {
    this.#plan = plan;
    this.#redactions = plan.collection.redactions.map((rule) => ({ pattern: compileRedaction(rule.pattern), replace: rule.replace }));
  }

  get plan(): RuntimePlan {
    return this.#plan;
  }

  #lookup(classification: string) {
    let cached = this.#candidates.get(classification);
    if (!cached) {
      const { collection, routes, routeMatcher } = this.#plan;
      cached = {
        collected: lookupTrie(collection.allow, classification).length > 0,
        denied: lookupTrie(collection.deny, classification).length > 0,
        routes: lookupTrie(routeMatcher, classification).map((index) => routes[index] as RuntimeRoute),
      };
      if (this.#candidates.size >= CACHE_LIMIT) this.#candidates.clear();
      this.#candidates.set(classification, cached);
    }
    return cached;
  }

  /** The routes a record of this classification and severity takes, in policy order. */
  routesFor(classification: string, severity: number): RuntimeRoute[] {
    const taken: RuntimeRoute[] = [];
    for (const route of this.#lookup(classification).routes) {
      if (severity < route.minSeverity || severity > route.maxSeverity) continue;
      taken.push(route);
      if (!route.continue) break;
    }
    return taken;
  }

  decide(record: TelemetryRecord): Decision {
    const { classification } = record.headers;
    const severity = Number(record.headers.severity);
    const candidates = this.#lookup(classification);
    if (candidates.denied) return { kind: 'rejected', reason: 'denied' };
    if (!candidates.collected) return { kind: 'rejected', reason: 'not_allowed' };
    if (severity < this.#plan.collection.minSeverity) return { kind: 'rejected', reason: 'below_min_severity' };
    if (record.payload.length > this.#plan.collection.maxPayload) return { kind: 'rejected', reason: 'payload_too_large' };
    const redacted = this.#redact(record);
    const routes = this.routesFor(classification, severity);
    return routes.length === 0 ? { kind: 'unrouted', record: redacted } : { kind: 'routed', record: redacted, routes };
  }

  #redact(record: TelemetryRecord): TelemetryRecord {
    if (this.#redactions.length === 0 || record.payload.length === 0) return record;
    // latin1 maps bytes 1:1, so payloads that are not UTF-8 survive redaction unchanged elsewhere.
    const encoding = isUtf8(record.payload) ? 'utf8' : 'latin1';
    const original = record.payload.toString(encoding);
    let text = original;
    for (const rule of this.#redactions) text = text.replace(rule.pattern, rule.replace);
    return text === original ? record : { headers: record.headers, payload: Buffer.from(text, encoding) };
  }
}
