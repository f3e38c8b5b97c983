/**
 * telem explain's per-route reasons and telem report's reach agree with the router the agent
 * runs: for the shipped policies and random ones, over random classifications and severities.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { compilePolicy } from '../../engine/compile/compile.js';
import { placesOf } from '../../engine/explain/policy-places.js';
import { considerRoutes, takenRoutes } from '../../engine/explain/routes.js';
import { reportPolicy } from '../../engine/report/report.js';
import { Router } from '../../engine/route/router.js';
import { classificationMatches } from '../../engine/pattern/glob.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import type { ConsentStep } from '../../engine/explain/consent.js';
import { fromRoot } from '../helpers/paths.js';
import { testRecord } from '../helpers/records.js';

/** A small deterministic generator (mulberry32), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
const NAMES = ['a', 'b', 'ab', 'ba', 'x'];
const GLOBS = ['a', 'b', 'ab', '*', 'a*', '?b', '*b', 'x'];

function randomClassification(next: () => number): string {
  return [pick(next, NAMES), pick(next, NAMES), pick(next, NAMES)].join('/');
}

function randomPattern(next: () => number): string {
  const depth = 1 + Math.floor(next() * 3);
  return Array.from({ length: depth }, () => pick(next, GLOBS)).join('/');
}

function randomPolicy(next: () => number): ResolvedPolicy {
  const routes = Array.from({ length: 1 + Math.floor(next() * 6) }, (_unused, index) => {
    const min = 1 + Math.floor(next() * 4);
    return {
      name: `r${index}`,
      match: { classification: randomPattern(next), min_severity: min, max_severity: min + Math.floor(next() * (5 - min)) },
      to: [pick(next, ['one', 'two'])],
      continue: next() < 0.4,
      ...(next() < 0.3 ? { rate_limit: { records: '5/1m', when_exceeded: 'drop' } } : {}),
    };
  });
  const value = {
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'random' },
    collection: { allow: next() < 0.5 ? ['*'] : [randomPattern(next), randomPattern(next)], deny: next() < 0.5 ? [randomPattern(next)] : [], min_severity: 1 + Math.floor(next() * 2) },
    destinations: { one: { type: 'local' }, two: { type: 'file', path: '/tmp/two.ndjson' } },
    routes,
  };
  const { policy, diagnostics } = validatePolicyValue(value);
  assert.ok(policy, JSON.stringify(diagnostics));
  return policy;
}

const CONSENT: ConsentStep = { requireOptIn: false, optedIn: true, allowed: true, optInFile: '/etc/telemetrics/opt-in', machineId: 'rotating', rotateEvery: '3d' };

function checkAgreement(policy: ResolvedPolicy, classifications: readonly string[], label: string): number {
  const plan = compilePolicy(policy);
  const router = new Router(plan);
  const report = reportPolicy(policy, placesOf(null), CONSENT);
  let routed = 0;
  for (const classification of classifications) {
    for (const severity of [1, 2, 3, 4]) {
      const explained = takenRoutes(considerRoutes(plan, classification, severity)).map((route) => route.name);
      assert.deepEqual(
        explained,
        router.routesFor(classification, severity).map((route) => route.name),
        `${label}: ${classification} severity ${severity}`,
      );
      const decision = router.decide(testRecord({ classification, severity }));
      if (decision.kind !== 'routed') continue;
      routed += 1;
      // Whatever the router sends to a destination, the report lists as able to reach it.
      for (const route of decision.routes) {
        for (const name of route.to) {
          const reach = report.destinations.find((d) => d.name === name)?.routes.find((r) => r.name === route.name);
          assert.ok(reach && reach.never === null, `${label}: report says route ${route.name} never reaches ${name}, but ${classification} severity ${severity} took it`);
          assert.ok(reach.severities && severity >= reach.severities.min && severity <= reach.severities.max, `${label}: severity ${severity} outside the reported range`);
          assert.ok(classificationMatches(reach.classification, classification));
          assert.ok(reach.allowedBy.length > 0);
        }
      }
    }
  }
  return routed;
}

test('explain routes: the routes explained as taken are Router.routesFor, for the shipped policies', async () => {
  const classifications = ['org.clearlinux/crash/kernel', 'org.clearlinux/journal/x', 'org.clearlinux/swupd/update', 'org.example/probe/test', 'a/b/c'];
  for (const file of ['policies/default.policy.yaml', 'policies/examples/crashes-two-destinations.policy.yaml', 'policies/examples/local-only.policy.yaml']) {
    const { policy } = await checkPolicyFile({ file: fromRoot(file) });
    assert.ok(policy, file);
    checkAgreement(policy, classifications, file);
  }
});

test('explain routes: per-route reasons agree with Router.routesFor, and report reach with Router.decide, over 300 random policies', () => {
  let routed = 0;
  for (let seed = 1; seed <= 300; seed += 1) {
    const next = random(seed);
    const policy = randomPolicy(next);
    routed += checkAgreement(
      policy,
      Array.from({ length: 25 }, () => randomClassification(next)),
      `seed ${seed}`,
    );
  }
  // The generator must produce records that really take routes, or the report half checks nothing.
  assert.ok(routed > 1000, `only ${routed} routed records`);
});

test('explain routes: a route after one without continue is "not reached", naming the route that took the record', async () => {
  const { policy } = await checkPolicyFile({ file: fromRoot('policies/examples/crashes-two-destinations.policy.yaml') });
  assert.ok(policy);
  const steps = considerRoutes(compilePolicy(policy), 'org.clearlinux/crash/kernel', 3);
  assert.deepEqual(
    steps.map((step) => [step.route.name, step.verdict, step.stoppedBy]),
    [
      ['crashes', 'taken', null],
      ['default', 'not_reached', 'crashes'],
    ],
  );
  const low = considerRoutes(compilePolicy(policy), 'org.clearlinux/crash/kernel', 1);
  assert.deepEqual(
    low.map((step) => [step.route.name, step.verdict]),
    [
      ['crashes', 'severity'],
      ['default', 'taken'],
    ],
  );
  const other = considerRoutes(compilePolicy(policy), 'org.clearlinux/swupd/update', 3);
  assert.deepEqual(
    other.map((step) => step.verdict),
    ['classification', 'taken'],
  );
});
