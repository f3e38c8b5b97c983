import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResolvedDestination } from '../../schemas/resolved.js';
import { ClientRegistry } from '../../engine/agent/client-registry.js';
import { compilePolicy } from '../../engine/compile/compile.js';
import type { RuntimePlan } from '../../engine/compile/runtime-plan.js';
import type { DestinationClient } from '../../engine/deliver/destination.js';
import { silentLogger } from '../../engine/log/logger.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

interface FakeClient extends DestinationClient {
  readonly config: ResolvedDestination;
  closed: boolean;
}

function registry(): { registry: ClientRegistry; made: FakeClient[] } {
  const made: FakeClient[] = [];
  const createClient = (config: ResolvedDestination): DestinationClient => {
    const client: FakeClient = {
      name: config.name,
      config,
      closed: false,
      deliver: () => Promise.resolve({ outcome: 'delivered' }),
      close: () => {
        client.closed = true;
        return Promise.resolve();
      },
    };
    made.push(client);
    return client;
  };
  return { registry: new ClientRegistry({ createClient, logger: silentLogger }), made };
}

function plan(destinations: Record<string, unknown>, routes: unknown[], spool: Record<string, unknown> = {}): RuntimePlan {
  const { policy, diagnostics } = validatePolicyValue({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'registry', revision: 1 }, destinations, routes, spool });
  assert.ok(policy, JSON.stringify(diagnostics));
  return compilePolicy(policy);
}

const central = { type: 'http', url: 'http://127.0.0.1:9/v2/collector', concurrency: 4, on_reject: 'drop' };
const routes = [{ name: 'all', match: { classification: '*' }, to: ['central', 'archive'], rate_limit: { records: '5/2s', when_exceeded: 'drop' } }];

test('client registry: the state holds each destination with its concurrency and on_reject, route limits, retry and expiry', () => {
  const { registry: clients } = registry();
  const state = clients.install(plan({ central, archive: { type: 'local' } }, routes, { expiry: '3d' }));
  assert.ok(Object.isFrozen(state));
  assert.deepEqual([...state.destinations.keys()].sort(), ['archive', 'central']);
  assert.equal(state.destinations.get('central')?.concurrency, 4);
  assert.equal(state.destinations.get('central')?.onReject, 'drop');
  assert.equal(state.destinations.get('archive')?.concurrency, 1);
  assert.equal(state.destinations.get('archive')?.onReject, 'retry');
  assert.equal(state.limiters.get('all')?.whenExceeded, 'drop');
  assert.equal(state.expiryMs, 3 * 24 * 3600 * 1000);
  assert.ok(state.retry.interval > 0);
});

test('client registry: a reload keeps unchanged clients and limiters, replaces changed ones and retires removed destinations', async () => {
  const { registry: clients, made } = registry();
  const first = clients.install(plan({ central, archive: { type: 'local' } }, routes));
  const same = clients.install(plan({ central, archive: { type: 'local' } }, routes));
  assert.notEqual(same, first);
  assert.equal(made.length, 2);
  assert.equal(same.destinations.get('central')?.client, first.destinations.get('central')?.client);
  assert.equal(same.limiters.get('all')?.limiter, first.limiters.get('all')?.limiter, 'an unchanged limit keeps its window');

  const changedRoutes = [{ ...routes[0], to: ['central'], rate_limit: { records: '6/2s', when_exceeded: 'spool' } }];
  const next = clients.install(plan({ central: { ...central, concurrency: 2 } }, changedRoutes));
  assert.equal(made.length, 3);
  assert.notEqual(next.destinations.get('central')?.client, first.destinations.get('central')?.client);
  assert.equal(next.destinations.has('archive'), false, 'a destination the policy no longer has is missing from the state');
  assert.notEqual(next.limiters.get('all')?.limiter, first.limiters.get('all')?.limiter);
  assert.equal(next.limiters.get('all')?.whenExceeded, 'spool');
  assert.equal(first.destinations.has('archive'), true, 'an installed state never changes');

  await clients.close();
  assert.deepEqual(
    made.map((client) => client.closed),
    [true, true, true],
  );
});

test('client registry: a route that loses its limit has none in the next state', () => {
  const { registry: clients } = registry();
  clients.install(plan({ central, archive: { type: 'local' } }, routes));
  const { rate_limit: _dropped, ...unlimited } = routes[0] as Record<string, unknown>;
  assert.equal(clients.install(plan({ central, archive: { type: 'local' } }, [unlimited])).limiters.has('all'), false);
});
