import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

test('metrics: --metrics serves Prometheus counters per route, destination and drop reason, and status as JSON', async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const policy = await writePolicy(
    root,
    oneRoutePolicy({ name: 'metrics', destination: `{ type: http, url: "${sink.url('/v3/collector')}" }`, extra: 'collection: { deny: ["*/secret/*"] }\n' }),
  );
  const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'] });
  const ready = await agent.waitForLog((line) => line.msg === 'agent ready');
  const base = ready.metrics as string;
  await sendRaw(agent.socketPath, [testFrame({ payload: 'one' })]);
  await sendRaw(agent.socketPath, [testFrame({ classification: 'org.example/secret/x' })]);
  await waitUntil(() => sink.requests.length === 1, 5000, 'delivery');
  let text = '';
  // The settlement is counted just after the sink answers: poll briefly.
  for (let attempt = 0; attempt < 50 && !/outcome="delivered"/.test(text); attempt += 1) {
    text = await (await fetch(`${base}/metrics`)).text();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.match(text, /^telem_records_accepted_total\{route="all"\} 1$/m);
  assert.match(text, /^telem_records_settled_total\{route="all",destination="central",outcome="delivered"\} 1$/m);
  assert.match(text, /^telem_drops_total\{reason="denied"\} 1$/m);
  assert.match(text, /^telem_spool_records 0$/m);
  assert.match(text, /^telem_delivery_latency_ms_count\{destination="central"\} 1$/m);
  const status = (await (await fetch(`${base}/status`)).json()) as { policy: { name: string }; drops: Record<string, number> };
  assert.equal(status.policy.name, 'metrics');
  assert.deepEqual(status.drops, { denied: 1 });
});
