/**
 * Runs the halt rules of staged rollouts (storage/rollout-sql.ts) after batches of their status
 * records are stored: one evaluation at a time, the rollouts of batches stored meanwhile gathered
 * for the next, so a burst of status records costs a few evaluations, not one per record.
 */
import type { Logger } from '../../log/logger.js';
import type { RolloutKey } from '../fleet/rollout-views.js';
import type { InsertResult, RecordStore } from '../storage/store.js';

export interface RolloutEvaluator {
  /** Notes the rollouts of newly stored status records and evaluates them soon. */
  stored(results: readonly InsertResult[]): void;
  /** Resolves once no evaluation runs or waits. */
  idle(): Promise<void>;
}

export function createRolloutEvaluator(options: { readonly store: RecordStore; readonly logger: Logger; readonly now: () => number }): RolloutEvaluator {
  const pending = new Map<string, RolloutKey>();
  let running: Promise<void> | null = null;

  const evaluate = async () => {
    while (pending.size > 0) {
      const keys = [...pending.values()];
      pending.clear();
      try {
        for (const { key, reason } of await options.store.evaluateRollouts(keys, options.now())) {
          options.logger.warn({ channel: key.channel, rollout: key.id, reason }, 'rollout halted: agents not on it will not take it, agents on it roll back');
        }
      } catch (error) {
        // The records are stored; the next batch of the rollout's status records evaluates it again.
        options.logger.error({ err: error, rollouts: keys.map((key) => key.id) }, 'cannot evaluate the halt rules of staged rollouts');
      }
    }
  };

  return {
    stored(results) {
      for (const result of results) if (result.rollout) pending.set(JSON.stringify([result.rollout.channel, result.rollout.id]), result.rollout);
      if (pending.size === 0 || running) return;
      running = evaluate().finally(() => {
        running = null;
      });
    },
    idle: () => running ?? Promise.resolve(),
  };
}
