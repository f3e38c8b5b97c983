/**
 * `telem crash-report` as the kernel runs it: a real crash's core on stdin, the record at a
 * real intake socket. Spy and fake unwinders are scripts named eu-stack earlier on PATH.
 */
import assert from 'node:assert/strict';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { crashPolicy, runCrashReport, writeMachinePolicy, writeScript } from '../helpers/crash-report.js';
import { buildCrashingProgram, crash, CRASHER_NAME, CRASH_LINES, expectedStart } from '../helpers/crashing-program.js';
import { startIntake, waitUntil } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';

interface Scene {
  readonly root: string;
  readonly sink: Awaited<ReturnType<typeof startIntake>>['sink'];
  readonly dir: string;
  readonly program: string;
  readonly source: string;
  readonly core: Buffer;
  readonly pid: number;
  /** TMPDIR of the handler. */
  readonly tmp: string;
  /** Put before PATH: where the spy and fake unwinders go. */
  readonly bin: string;
  readonly env: NodeJS.ProcessEnv;
}

async function scene(t: TestContext, crashes: Record<string, unknown>, options: { requireOptIn?: boolean; optedIn?: boolean } = {}): Promise<Scene> {
  const { root, sink } = await startIntake(t);
  await captureLikeRoot(t, { root, optedIn: options.optedIn ?? true });
  await writeMachinePolicy(root, crashPolicy(crashes, options));
  const dir = await tempDir(t, 'telem-crash-test-');
  const { program, source } = await buildCrashingProgram(dir);
  const crashed = await crash({ program, dir });
  const tmp = await tempDir(t, 'telem-crash-tmp-');
  const bin = path.join(await tempDir(t, 'telem-crash-bin-'), 'bin');
  return { root, sink, dir, program, source, core: await readFile(crashed.core), pid: crashed.pid, tmp, bin, env: { PATH: `${bin}:${process.env.PATH ?? ''}`, TMPDIR: tmp } };
}

/** An eu-stack that notes what it was given (arguments, the core's mode, a copy of it), then runs the real one. */
async function spyEuStack(bin: string): Promise<{ log: string; copy: string }> {
  const log = path.join(bin, 'spy.log');
  const copy = path.join(bin, 'spy.core');
  await writeScript(bin, 'eu-stack', `{ echo "args: $*"; echo "mode: $(stat -c %a "$2")"; } > ${log}\ncp "$2" ${copy}\nexec /usr/bin/eu-stack "$@"\n`);
  return { log, copy };
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

test('telem crash-report PID 11 COMM PATH: a real crash under full_reports.paths is sent as crash/clr naming telem_test_crash_here; eu-stack reads a 0600 temporary copy, removed afterwards', async (t) => {
  const s = await scene(t, { enabled: true });
  await writeMachinePolicy(s.root, crashPolicy({ enabled: true, full_reports: { paths: [`${s.dir}/`] } }));
  const spy = await spyEuStack(s.bin);
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '');
  assert.equal(s.sink.records.length, 1);
  const [{ record }] = s.sink.records as [(typeof s.sink.records)[number]];
  assert.equal(record.headers.classification, 'org.clearlinux/crash/clr');
  assert.equal(record.headers.severity, '3');
  assert.equal(record.headers.payload_format_version, '1');
  const payload = record.payload.toString('utf8');
  assert.ok(payload.startsWith(expectedStart({ program: s.program, source: s.source, pid: s.pid })), payload);
  assert.equal(payload.match(/\nBacktrace \(TID \d+\):\n/g)?.length, 2, payload);

  const spied = await readFile(spy.log, 'utf8');
  assert.match(spied, new RegExp(`^args: --core ${s.tmp}/telem-crash-[A-Za-z0-9]{6}/core -r -m -s -n 64\nmode: 600\n$`));
  assert.ok((await readFile(spy.copy)).equals(s.core), 'eu-stack got the bytes of stdin');
  assert.deepEqual(await readdir(s.tmp), [], 'the temporary core is gone');
  assert.deepEqual(
    run.logs.map((line) => [line.msg, line.classification, line.bytes, line.keptCore]),
    [['crash report sent', 'org.clearlinux/crash/clr', s.core.length, null]],
  );
});

test('telem crash-report under upstream\'s prefixes: a program outside /usr/ is sent as "Crash from third party\\n" (crash/unknown, 2) and its core is never unwound; a COMM like -bash is an argument', async (t) => {
  const s = await scene(t, { enabled: true });
  const spy = await spyEuStack(s.bin);
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: '-bash', executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    s.sink.records.map(({ record }) => [record.headers.classification, record.headers.severity, record.payload.toString()]),
    [['org.clearlinux/crash/unknown', '2', 'Crash from third party\n']],
  );
  assert.equal(await exists(spy.log), false, 'eu-stack never ran');
  assert.deepEqual(await readdir(s.tmp), [], 'nothing stored');
  assert.equal(run.logs.at(-1)?.bytes, s.core.length, 'the core was read to its end');
});

test('telem crash-report: a program built under /builddir/build/BUILD/ is sent as "Crash from Clear package build\\n" (crash/clr-build, 2), never unwound', async (t) => {
  const s = await scene(t, { enabled: true, full_reports: { paths: ['/'] } });
  const spy = await spyEuStack(s.bin);
  const run = await runCrashReport({ root: s.root, pid: 4242, comm: 'test-suite', executable: '/builddir/build/BUILD/pkg-1.0/tests/test-suite', core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    s.sink.records.map(({ record }) => [record.headers.classification, record.headers.severity, record.payload.toString()]),
    [['org.clearlinux/crash/clr-build', '2', 'Crash from Clear package build\n']],
  );
  assert.equal(await exists(spy.log), false);
});

test('telem crash-report with unwinder gdb: the same first frames as eu-stack, modules from the core', async (t) => {
  const s = await scene(t, { enabled: true });
  await writeMachinePolicy(s.root, crashPolicy({ enabled: true, unwinder: 'gdb', full_reports: { paths: [`${s.dir}/`] } }));
  // Were eu-stack run, this one would fail the test.
  await writeScript(s.bin, 'eu-stack', 'echo "eu-stack must not run" >&2; exit 2\n');
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  const [accepted] = s.sink.records;
  assert.equal(accepted?.record.headers.classification, 'org.clearlinux/crash/clr');
  const payload = accepted?.record.payload.toString() ?? '';
  assert.ok(payload.startsWith(expectedStart({ program: s.program, source: s.source, pid: s.pid })), payload);
});

test('telem crash-report with keep_core: the core stays in that directory (under the root), mode 0600, byte for byte what came on stdin', async (t) => {
  const s = await scene(t, { enabled: true });
  await writeMachinePolicy(s.root, crashPolicy({ enabled: true, keep_core: '/var/lib/telem/cores', full_reports: { paths: [`${s.dir}/`] } }));
  const before = Date.now();
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  const dir = path.join(s.root, 'var/lib/telem/cores');
  const [name, ...others] = await readdir(dir);
  assert.deepEqual(others, []);
  const match = new RegExp(`^core\\.${CRASHER_NAME}\\.${s.pid}\\.(\\d+)$`).exec(name ?? '');
  assert.ok(match, name);
  assert.ok(Number(match[1]) >= before);
  const kept = path.join(dir, name as string);
  assert.equal((await stat(kept)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.ok((await readFile(kept)).equals(s.core));
  assert.equal(run.logs.at(-1)?.keptCore, kept);
  assert.equal(s.sink.records[0]?.record.headers.classification, 'org.clearlinux/crash/clr', s.sink.records[0]?.record.payload.toString());
  assert.deepEqual(await readdir(s.tmp), []);
});

test('telem crash-report: an unwinder that hangs is killed (with what it started) at the timeout; crash/error says so and keeps the frames printed until then', async (t) => {
  const s = await scene(t, { enabled: true });
  await writeMachinePolicy(s.root, crashPolicy({ enabled: true, timeout: '2s', full_reports: { paths: [`${s.dir}/`] } }));
  const sleeper = path.join(s.bin, 'sleeper.pid');
  await writeScript(
    s.bin,
    'eu-stack',
    `echo "PID ${s.pid} - core"\necho "TID ${s.pid}:"\necho "#0  0x0000556dd938f178 telem_test_crash_here - ${s.program}"\necho "    ${s.source}:${CRASH_LINES.crashHere}:67"\n` +
      `sleep 60 &\necho $! > ${sleeper}\nwait\n`,
  );
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.elapsedMs < 2000 + 1500, `the handler took ${run.elapsedMs} ms with a 2 s timeout`);
  assert.ok(run.elapsedMs >= 1000, `the unwinder ran until its deadline (${run.elapsedMs} ms)`);
  const [accepted] = s.sink.records;
  assert.equal(accepted?.record.headers.classification, 'org.clearlinux/crash/error');
  assert.equal(accepted?.record.headers.severity, '4');
  assert.equal(
    accepted?.record.payload.toString(),
    `Process: ${s.program}\nPID: ${s.pid}\nSignal: 11\nError: eu-stack was killed to keep the crash report within the timeout (2000 ms)\n` +
      `\nBacktrace (TID ${s.pid}):\n#0 telem_test_crash_here() - [${s.program}] - ${s.source}:${CRASH_LINES.crashHere}\n`,
  );
  const pid = Number(await readFile(sleeper, 'utf8'));
  await waitUntil(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    5000,
    `the unwinder's child ${pid} to be gone`,
  );
  assert.deepEqual(await readdir(s.tmp), []);
});

test('telem crash-report: no unwinder on PATH is crash/error naming the missing one, with the header upstream sent', async (t) => {
  const s = await scene(t, { enabled: true, unwinder: 'gdb' });
  await writeMachinePolicy(s.root, crashPolicy({ enabled: true, unwinder: 'gdb', full_reports: { paths: [`${s.dir}/`] } }));
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: { ...s.env, PATH: s.bin } });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    s.sink.records.map(({ record }) => [record.headers.classification, record.payload.toString()]),
    [['org.clearlinux/crash/error', `Process: ${s.program}\nPID: ${s.pid}\nSignal: 11\nError: the unwinder gdb (collection.probes.crashes.unwinder) is not on PATH\n`]],
  );
});

test('telem crash-report with crashes off (the default): nothing is sent, nothing unwound, all of stdin is read', async (t) => {
  const s = await scene(t, { enabled: false });
  const spy = await spyEuStack(s.bin);
  // Far more than a pipe holds: a handler that stopped reading would leave the writer blocked (and this test failing with EPIPE).
  const core = Buffer.concat([s.core, Buffer.alloc(4 * 1024 * 1024, 1)]);
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '');
  assert.deepEqual(
    run.logs.map((line) => [line.level, line.msg, line.bytes]),
    [[30, 'no crash report: crash reports are off (collection.probes.crashes.enabled is false); the core was read and dropped', core.length]],
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(s.sink.records, []);
  assert.equal(await exists(spy.log), false);
  assert.deepEqual(await readdir(s.tmp), []);
});

test('telem crash-report on a machine that has not opted in (the policy requires it): nothing is sent, stdin is read', async (t) => {
  const s = await scene(t, { enabled: true, full_reports: { paths: ['/'] } }, { requireOptIn: true, optedIn: false });
  const spy = await spyEuStack(s.bin);
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(
    run.logs.map((line) => [line.msg, line.bytes]),
    [['no crash report: the machine has not opted in to telemetry (telem opt-in); the core was read and dropped', s.core.length]],
  );
  assert.deepEqual(s.sink.records, []);
  assert.equal(await exists(spy.log), false);
});

test('telem crash-report with no agent listening: the failure is logged, exit status 0 (the kernel ignores it), the core removed', async (t) => {
  const s = await scene(t, { enabled: true });
  await writeMachinePolicy(
    s.root,
    crashPolicy({ enabled: true, full_reports: { paths: [`${s.dir}/`] } }).replace('metadata: { name: crashes }', 'metadata: { name: crashes }\nintake: { socket: /run/nobody-here }'),
  );
  const run = await runCrashReport({ root: s.root, pid: s.pid, comm: CRASHER_NAME, executable: s.program, core: s.core, env: s.env });
  assert.equal(run.code, 0);
  assert.deepEqual(
    run.logs.map((line) => [line.level, line.msg, line.classification]),
    [[50, `crash report not sent: could not send the record to ${s.root}/run/nobody-here: ENOENT (is the telem agent running?)`, 'org.clearlinux/crash/clr']],
  );
  assert.deepEqual(await readdir(s.tmp), []);
});

test('telem crash-report with fewer than four arguments: a usage error (exit 2) after reading all of stdin', async (t) => {
  const root = await tempDir(t);
  const result = await runCli(['--root', root, 'crash-report', '123', '11'], { input: Buffer.alloc(2 * 1024 * 1024) });
  assert.deepEqual(result, {
    code: 2,
    stdout: '',
    stderr: 'telem crash-report: expected 4 arguments (PID SIGNAL COMM PATH, as kernel.core_pattern passes %P %s %e %E), got 2\n(run "telem crash-report --help" for usage)\n',
  });
  const bad = await runCli(['--root', root, 'crash-report', 'abc', '11', 'x', '!x'], { input: 'core' });
  assert.deepEqual(bad, { code: 2, stdout: '', stderr: 'telem crash-report: PID must be a number, got "abc"\n(run "telem crash-report --help" for usage)\n' });
});
