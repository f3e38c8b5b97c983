import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SequencedFifo } from '../../engine/agent/queue.js';

type Step = { readonly op: 'push'; readonly gap: number } | { readonly op: 'shift'; readonly count: number } | { readonly op: 'rewrite'; readonly dropEvery: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), gap: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 50 })) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rewrite' as const), dropEvery: fc.integer({ min: 2, max: 5 }) }) },
);

test('sequenced fifo: items and their sequence numbers come out as they went in, through gaps, shifts past compaction and rewrites', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 2000 }), (steps, burst) => {
      const fifo = new SequencedFifo<string>();
      const model: [number, string][] = [];
      let seq = 0;
      for (const next of steps) {
        if (next.op === 'push') {
          // A burst of consecutive numbers (a backlog), the first after a gap.
          for (let index = 0; index < burst; index += 1) {
            seq += index === 0 ? next.gap : 1;
            fifo.push(seq, `r${seq}`);
            model.push([seq, `r${seq}`]);
          }
        } else if (next.op === 'shift') {
          for (let index = 0; index < next.count && model.length > 0; index += 1) {
            assert.deepEqual([fifo.peekSeq(), fifo.peek()], model[0]);
            fifo.shift();
            model.shift();
          }
        } else {
          let position = 0;
          fifo.rewrite((item) => (position++ % next.dropEvery === 0 ? null : `${item}'`));
          const kept = model.filter((_, index) => index % next.dropEvery !== 0).map(([number, item]): [number, string] => [number, `${item}'`]);
          model.splice(0, model.length, ...kept);
        }
        assert.equal(fifo.length, model.length);
      }
      for (const [number, item] of model) {
        assert.deepEqual([fifo.peekSeq(), fifo.peek()], [number, item]);
        fifo.shift();
      }
      assert.equal(fifo.peek(), undefined);
    }),
    { numRuns: 200 },
  );
});
