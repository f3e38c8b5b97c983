/**
 * A crash end to end: a real program crashes, its core goes through `telem crash-report` (as
 * the kernel would pipe it) to a real agent (`telem run`), which delivers the record to an HTTP
 * collector. Nothing of the machine's core_pattern is used or changed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { oneRoutePolicy, startAgent } from '../helpers/agent-process.js';
import { runCrashReport, writeMachinePolicy } from '../helpers/crash-report.js';
import { buildCrashingProgram, crash, CRASHER_NAME, expectedStart } from '../helpers/crashing-program.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { waitUntil } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';

test('crash end to end: a crashed program → telem crash-report → the agent → crash/clr with its backtrace at the collector', { timeout: 60_000 }, async (t) => {
  const root = await captureLikeRoot(t, { optedIn: false });
  const dir = await tempDir(t, 'telem-crash-e2e-');
  const { program, source } = await buildCrashingProgram(dir);
  const crashed = await crash({ program, dir });
  const sink = await startHttpSink(t);
  await writeMachinePolicy(
    root,
    oneRoutePolicy({
      name: 'crashes',
      destination: `{ type: http, protocol: v3, url: "${sink.url('/v3/collector')}" }`,
      extra: `collection: { probes: { crashes: { enabled: true, full_reports: { paths: ["${dir}/"] } } } }\n`,
    }),
  );
  // The agent and the handler find the same policy under the root, and so the same socket.
  const agent = await startAgent(t, { root });
  const run = await runCrashReport({ root, pid: crashed.pid, comm: CRASHER_NAME, executable: program, core: await readFile(crashed.core) });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.logs.at(-1)?.msg, 'crash report sent');
  await waitUntil(() => sink.requests.length === 1, 10_000, 'the delivery to the collector');
  const body = JSON.parse(sink.requests[0]?.body.toString('utf8') ?? '') as Record<string, string>;
  assert.equal(body.classification, 'org.clearlinux/crash/clr');
  assert.equal(body.severity, '3');
  assert.ok(body.payload?.startsWith(expectedStart({ program, source, pid: crashed.pid })), body.payload);
  assert.equal(agent.socketPath, `${root}/run/telem-0`);
});
