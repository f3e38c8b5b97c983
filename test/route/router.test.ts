import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../../engine/compile/compile.js';
import { RECORD_HEADERS, type RecordHeaders, type TelemetryRecord } from '../../engine/record/fields.js';
import { Router } from '../../engine/route/router.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

function routerFor(extra: Record<string, unknown>): Router {
  const { policy, diagnostics } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'router', revision: 4 },
    destinations: { central: { type: 'local' }, archive: { type: 'local' } },
    routes: [
      { name: 'crashes', match: { classification: 'org.clearlinux/crash/*', min_severity: 2 }, to: ['central', 'archive'] },
      { name: 'default', match: { classification: '*' }, to: ['central'] },
    ],
    ...extra,
  });
  assert.ok(policy, JSON.stringify(diagnostics));
  return new Router(compilePolicy(policy));
}

function record(classification: string, severity: number, payload = 'hello'): TelemetryRecord {
  const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, 'x'])) as Record<string, string>;
  Object.assign(headers, { classification, severity: String(severity) });
  return { headers: headers as RecordHeaders, payload: Buffer.from(payload) };
}

function routeNames(router: Router, classification: string, severity: number): string[] {
  const decision = router.decide(record(classification, severity));
  return decision.kind === 'routed' ? decision.routes.map((route) => route.name) : [decision.kind];
}

test('router: a record takes the first route it matches, by classification and severity', () => {
  const router = routerFor({});
  assert.deepEqual(routeNames(router, 'org.clearlinux/crash/clr', 3), ['crashes']);
  assert.deepEqual(routeNames(router, 'org.clearlinux/crash/clr', 1), ['default']);
  assert.deepEqual(routeNames(router, 'org.example/probe/test', 4), ['default']);
});

test('router: continue: true lets a record take later routes too', () => {
  const router = routerFor({
    routes: [
      { name: 'tee', match: { classification: 'org.clearlinux/*' }, to: ['archive'], continue: true },
      { name: 'default', match: { classification: '*' }, to: ['central'] },
    ],
  });
  assert.deepEqual(routeNames(router, 'org.clearlinux/hello/world', 1), ['tee', 'default']);
  assert.deepEqual(routeNames(router, 'org.example/hello/world', 1), ['default']);
});

test('router: a record matching no route is unrouted', () => {
  const router = routerFor({ routes: [{ name: 'crashes', match: { classification: '*/crash/*' }, to: ['central', 'archive'] }] });
  assert.deepEqual(routeNames(router, 'org.example/probe/test', 1), ['unrouted']);
});

test('router: collection deny, allow, min severity and payload limit reject before routing', () => {
  const router = routerFor({ collection: { allow: ['org.clearlinux/*'], deny: ['*/journal/*'], min_severity: 2, max_payload: 10 } });
  const reason = (r: TelemetryRecord) => {
    const decision = router.decide(r);
    return decision.kind === 'rejected' ? decision.reason : decision.kind;
  };
  assert.equal(reason(record('org.clearlinux/journal/error', 4)), 'denied');
  assert.equal(reason(record('org.example/probe/test', 4)), 'not_allowed');
  assert.equal(reason(record('org.clearlinux/crash/clr', 1)), 'below_min_severity');
  assert.equal(reason(record('org.clearlinux/crash/clr', 4, 'x'.repeat(11))), 'payload_too_large');
  assert.equal(reason(record('org.clearlinux/crash/clr', 4, 'x'.repeat(10))), 'routed');
});

test('router: redaction rewrites every match in the payload before anything is stored', () => {
  const router = routerFor({ collection: { redact: [{ pattern: String.raw`\b\d{1,3}(\.\d{1,3}){3}\b`, replace: '<ipv4>' }, { pattern: 'secret-\\w+' }] } });
  const decision = router.decide(record('org.example/net/up', 1, 'from 10.0.0.1 to 192.168.1.20 with secret-abc'));
  assert.equal(decision.kind, 'routed');
  assert.equal(decision.kind === 'routed' && decision.record.payload.toString(), 'from <ipv4> to <ipv4> with <redacted>');
});

test('router: payload bytes that are not UTF-8 survive redaction untouched', () => {
  const router = routerFor({ collection: { redact: [{ pattern: 'x' }] } });
  const payload = Buffer.from([0xff, 0x78, 0xfe]);
  const decision = router.decide({ headers: record('a/b/c', 1).headers, payload });
  assert.deepEqual(decision.kind === 'routed' && [...decision.record.payload], [0xff, ...Buffer.from('<redacted>'), 0xfe]);
});
