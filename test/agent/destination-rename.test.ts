/**
 * Destinations that leave the policy. A renamed one (the same collector called `main` instead of
 * `central`) keeps its backlog: the records are re-routed through the current routes, at a
 * restart and at a reload. One that is really gone keeps its records until they expire, with a
 * warning, and gets them again if it comes back. Replaced clients are released once their
 * requests settle, so reloads do not pile up connections.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { agentStatus, archivedRecords, eventually, journalEntries } from '../reliability/agent-probe.js';

const payloadOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { payload: string }).payload;

function policy(options: { url: string; name: string; revision: number; archive?: boolean }): string {
  const archive = options.archive ? '  archive: { type: file, path: /var/log/telemetry/archive.ndjson }\n' : '';
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: rename, revision: ${options.revision} }
consent: { require_opt_in: false }
spool: { retry: { interval: 100ms, max_interval: 200ms, jitter: 0 } }
destinations:
  ${options.name}: { type: http, url: "${options.url}", concurrency: 1 }
${archive}routes:
  - { name: all, to: [${options.name}${options.archive ? ', archive' : ''}] }
`;
}

const sent = Array.from({ length: 10 }, (_, index) => `spooled ${index}`);

for (const how of ['restart', 'reload'] as const) {
  test(`agent: records spooled for a destination that was renamed arrive under the new name after a ${how}, none dropped`, { timeout: 30_000 }, async (t) => {
    const root = await tempDir(t);
    let up = false;
    const sink = await startHttpSink(t, { respond: () => ({ status: up ? 201 : 503 }) });
    const file = await writePolicy(root, policy({ url: sink.url(), name: 'central', revision: 1 }));
    let agent = await startAgent(t, { root, policy: file, args: ['--metrics', '127.0.0.1:0'] });
    for (const payload of sent) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
    await writeFile(file, policy({ url: sink.url(), name: 'main', revision: 2 }));
    if (how === 'restart') {
      await agent.kill();
      agent = await startAgent(t, { root, policy: file, args: ['--metrics', '127.0.0.1:0'] });
    } else {
      await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 2);
    }
    await agent.waitForLog((line) => line.msg === 'records spooled for a destination no longer in the policy were re-routed through the current routes' && line.destination === 'central');
    up = true;
    await waitUntil(
      () => sent.every((payload) => sink.requests.some((request) => request.head.startsWith('POST') && payloadOf(request.body) === payload)),
      10_000,
      'every spooled record delivered',
    );
    const journal = await eventually(
      () => journalEntries(root),
      (entries) => entries.length >= sent.length,
      { timeoutMs: 5000, what: 'the journal' },
    );
    assert.deepEqual(new Set(journal.map((entry) => `${entry.outcome}@${entry.destination}`)), new Set(['delivered@main']), 'delivered to main, nothing journaled as dropped');
    await eventually(
      () => agentStatus(agent),
      (status) => status.spool.records === 0,
      { timeoutMs: 5000, what: 'an empty spool' },
    );
    assert.equal(await agent.stop(), 0);
  });
}

test('agent: records for a destination that is really gone stay spooled until they expire, with a warning, and go out when it comes back', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  let up = false;
  const sink = await startHttpSink(t, { respond: () => ({ status: up ? 201 : 503 }) });
  const file = await writePolicy(root, policy({ url: sink.url(), name: 'central', revision: 1, archive: true }));
  const agent = await startAgent(t, { root, policy: file, args: ['--metrics', '127.0.0.1:0'] });
  for (const payload of sent) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
  await eventually(
    () => archivedRecords(root),
    (records) => records.length === sent.length,
    { timeoutMs: 5000, what: 'the archive copies' },
  );

  // Only the archive is left: nothing in the current routes replaces central.
  await writeFile(
    file,
    policy({ url: sink.url(), name: 'central', revision: 2, archive: true })
      .replace('to: [central, archive]', 'to: [archive]')
      .replace(/ {2}central: .*\n/, ''),
  );
  const warning = await agent.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('records are spooled for a destination no longer in the policy'));
  assert.equal(warning.destination, 'central');
  assert.equal(warning.records, sent.length);
  const status = await agentStatus(agent);
  assert.equal(status.spool.records, sent.length, 'kept in the spool');
  assert.equal((status as unknown as { destinations: Record<string, { state: string }> }).destinations.central?.state, 'removed');
  const requestsWhileGone = sink.requests.length;

  up = true;
  await writeFile(file, policy({ url: sink.url(), name: 'central', revision: 3, archive: true }));
  await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === 3);
  await waitUntil(
    () => sent.every((payload) => sink.requests.some((request) => payloadOf(request.body) === payload && request.head.startsWith('POST'))),
    10_000,
    'delivery once central is back',
  );
  assert.ok(requestsWhileGone <= sink.requests.length);
  assert.deepEqual((await archivedRecords(root)).length, sent.length, 'the archive got each record once');
  const journal = await eventually(
    () => journalEntries(root),
    (entries) => entries.length === 2 * sent.length,
    { timeoutMs: 5000, what: 'the journal' },
  );
  assert.deepEqual(new Set(journal.map((entry) => entry.outcome)), new Set(['delivered']));
});

test('agent: a reload that replaces a destination closes the old client once its requests settle (connections do not pile up)', { timeout: 60_000 }, async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t);
  const file = await writePolicy(root, policy({ url: sink.url('/v3/collector?reload=0'), name: 'central', revision: 0 }));
  const agent = await startAgent(t, { root, policy: file });
  for (let reload = 1; reload <= 15; reload += 1) {
    await writeFile(file, policy({ url: sink.url(`/v3/collector?reload=${reload}`), name: 'central', revision: reload }));
    await agent.waitForLog((line) => line.msg === 'policy reloaded' && line.revision === reload);
    assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: `after reload ${reload}` })]), null);
    await waitUntil(() => sink.requests.length === reload, 5000, `delivery after reload ${reload}`);
  }
  // Each reload made a new client with its own keep-alive connection; only the last one stays.
  await waitUntil(() => sink.openConnections() <= 1, 5000, "the old clients' connections closed");
  assert.equal(await agent.stop(), 0);
});
