/** crashesProbe.once on a real core (telem probe crashes --input core): what the handler would send for it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashesProbe } from '../../../engine/probes/crashes/probe.js';
import { silentLogger } from '../../../engine/log/logger.js';
import { buildCrashingProgram, crash, CRASH_LINES, expectedStart } from '../../helpers/crashing-program.js';
import { tempDir } from '../../helpers/tmp.js';
import { crashSettings } from './settings.js';

for (const unwinder of ['eu-stack', 'gdb'] as const) {
  test(`crashesProbe.once with ${unwinder}: a program under full_reports.paths is crash/clr, severity 3, with both threads' backtraces`, async (t) => {
    const dir = await tempDir(t);
    const { program, source } = await buildCrashingProgram(dir);
    const crashed = await crash({ program, dir });
    const settings = crashSettings({ unwinder, full_reports: { paths: [`${dir}/`] } });
    const [event, ...more] = await crashesProbe.once(settings, { root: '/', input: crashed.core });
    assert.equal(more.length, 0);
    assert.equal(event?.classification, 'org.clearlinux/crash/clr');
    assert.equal(event?.severity, 3);
    assert.ok(event?.payload.startsWith(expectedStart({ program, source, pid: crashed.pid })), event?.payload);
    assert.equal(event?.payload.match(/\nBacktrace \(TID \d+\):\n/g)?.length, 2, event?.payload);
  });
}

test("crashesProbe.once under upstream's default prefixes: a program outside /usr/ is a third party's, its core not unwound", async (t) => {
  const dir = await tempDir(t);
  const { program } = await buildCrashingProgram(dir);
  const crashed = await crash({ program, dir });
  assert.deepEqual(await crashesProbe.once(crashSettings(), { root: '/', input: crashed.core }), [
    { classification: 'org.clearlinux/crash/unknown', severity: 2, payload: 'Crash from third party\n', payloadVersion: 1 },
  ]);
});

test('crashesProbe.once: max_frames 1 keeps the first frame of each thread', async (t) => {
  const dir = await tempDir(t);
  const { program, source } = await buildCrashingProgram(dir);
  const crashed = await crash({ program, dir });
  const [event] = await crashesProbe.once(crashSettings({ max_frames: 1, full_reports: { paths: [`${dir}/`] } }), { root: '/', input: crashed.core });
  const lines = event?.payload.split('\n') ?? [];
  assert.deepEqual(lines.slice(0, 6), [
    `Process: ${program}`,
    `PID: ${crashed.pid}`,
    'Signal: 11',
    '',
    `Backtrace (TID ${crashed.pid}):`,
    `#0 telem_test_crash_here() - [${program}] - ${source}:${CRASH_LINES.crashHere}`,
  ]);
  assert.equal(lines.filter((line) => line.startsWith('#')).length, 2, event?.payload);
  assert.ok(!lines.some((line) => line.startsWith('#1 ')), event?.payload);
});

test('crashesProbe: start runs nothing (the kernel starts the handler); once without a core file has nothing to send', async () => {
  const emitted: unknown[] = [];
  const running = crashesProbe.start(crashSettings(), {
    root: '/',
    logger: silentLogger,
    stateDir: '/nonexistent',
    emit: async (event) => (emitted.push(event), true),
    clock: { now: () => Date.now(), setTimeout: (callback, ms) => ({ cancel: clearTimeout.bind(null, setTimeout(callback, ms)) }) },
  });
  await running.stop();
  assert.deepEqual(emitted, []);
  assert.deepEqual(await crashesProbe.once(crashSettings(), { root: '/' }), []);
});
