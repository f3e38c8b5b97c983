/** Redaction in the real agent: a rule that would backtrack for hours costs nothing more than any other. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';

test("agent: a (a+)+$ redaction on 32 a's and a b delivers within seconds, the next record too, and SIGTERM still exits 0", async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const policy = oneRoutePolicy({
    name: 'catastrophic-redaction',
    destination: `{ type: http, url: "${sink.url('/v3/collector')}" }`,
    extra: "collection: { redact: [{ pattern: '(a+)+$', replace: '<a-run>' }] }\n",
  });
  const agent = await startAgent(t, { root, policy: await writePolicy(root, policy) });
  const catastrophic = `${'a'.repeat(32)}b`;
  assert.equal(catastrophic.length, 33);

  try {
    assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: catastrophic })]), null);
    await waitUntil(() => sink.requests.length === 1, 5_000, 'delivery of the 33-byte payload');
    assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'tail: aaa' })]), null);
    await waitUntil(() => sink.requests.length === 2, 5_000, 'delivery of the record after it');
  } catch (error) {
    // A backtracking agent never gets back to its event loop, so SIGTERM could not stop it.
    await agent.kill();
    throw error;
  }

  const payloads = sink.requests.map((request) => (JSON.parse(request.body.toString('utf8')) as { payload: string }).payload);
  assert.deepEqual(payloads, [catastrophic, 'tail: <a-run>'], "no match in the first (a b ends it), the run of a's at the end of the second is redacted");
  assert.equal(await agent.stop(), 0);
});
