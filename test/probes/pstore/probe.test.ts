import assert from 'node:assert/strict';
import { oopsClassifications } from '../../../engine/probes/kernel/oops-patterns.js';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { TelemError } from '../../../engine/errors/telem-error.js';
import type { ProbeSettings } from '../../../engine/probes/probe.js';
import { pstoreProbe } from '../../../engine/probes/pstore/probe.js';
import { REPORTED_FILE } from '../../../engine/probes/pstore/reported-files.js';
import { fromRoot } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { type TestProbeContext, probeContext, waitFor } from '../kernel/probe-context.js';

const HOUR = 3_600_000;
const SETTINGS: ProbeSettings['pstore'] = { enabled: true, dir: '/sys/fs/pstore', every: HOUR, remove_after_report: false };
const MODERN = fromRoot('test', 'fixtures', 'kernel-oops-modern');

/** A fixture's lines as pstore writes them: a level before each ("<4>[ 412.558812] …"). */
function dumpLines(name: string): string[] {
  return readFileSync(path.join(MODERN, name), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => (line.startsWith('<') ? line : `<4>${line}`));
}

function payloadOf(name: string): string {
  return readFileSync(path.join(MODERN, name), 'utf8');
}

const PANIC_AFTER_OOPS = [
  '<0>[  412.601300] Kernel panic - not syncing: Fatal exception',
  '<0>[  412.601400] Kernel Offset: disabled',
  '<0>[  412.601500] ---[ end Kernel panic - not syncing: Fatal exception ]---',
];
const PANIC_PAYLOAD = 'Crash Report:\nReason: Kernel panic - not syncing: Fatal exception\n';

async function pstoreFile(dir: string, name: string, lines: readonly string[], mtime?: Date): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  if (mtime !== undefined) await utimes(file, mtime, mtime);
  return file;
}

function summary(events: readonly { classification: string; payload: string }[]): string[][] {
  return events.map((event) => [event.classification, event.payload.split('\n')[1] ?? '']);
}

test('pstore probe once: a ramoops panic dump gives its oops and its panic, dated by the file; an efi dump in two parts is joined oldest part first', async (t) => {
  const dir = await tempDir(t);
  const crashed = new Date('2024-03-04T05:06:07.000Z');
  await pstoreFile(dir, 'dmesg-ramoops-0', ['Panic#1 Part1', ...dumpLines('null-pointer.txt'), ...PANIC_AFTER_OOPS], crashed);
  const warning = dumpLines('warning.txt');
  const half = 20;
  await pstoreFile(dir, 'dmesg-efi-170000000001001', ['Oops#1 Part1', ...warning.slice(half)]);
  await pstoreFile(dir, 'dmesg-efi-170000000002001', ['Oops#1 Part2', ...warning.slice(0, half)]);
  await pstoreFile(dir, 'pmsg-ramoops-0', ['WARNING: not a kernel log']);
  await writeFile(path.join(dir, 'dmesg-efi-170000000001002.enc.z'), Buffer.from([0x78, 0x9c, 0x00, 0x01, 0xff]));

  const events = await pstoreProbe.once(SETTINGS, { root: '/', input: dir });
  assert.deepEqual(summary(events), [
    ['org.clearlinux/kernel/warning', 'Reason: WARNING: CPU: 3 PID: 1419 at drivers/gpu/drm/i915/display/intel_dp_mst.c:1012 intel_mst_disable_dp+0x11e/0x130 [i915]'],
    ['org.clearlinux/kernel/bug', 'Reason: BUG: kernel NULL pointer dereference, address: 0000000000000008'],
    ['org.clearlinux/kernel/panic', 'Reason: Kernel panic - not syncing: Fatal exception'],
  ]);
  assert.equal(events[0]?.payload, payloadOf('warning.payload'));
  assert.equal(events[1]?.payload, payloadOf('null-pointer.payload'));
  assert.equal(events[2]?.payload, PANIC_PAYLOAD);
  assert.equal(events[1]?.createdAt?.toISOString(), '2024-03-04T05:06:07.000Z');
  assert.equal(events[2]?.severity, 4);
});

test('pstore probe once: a panic dump without an oops in it still gives a panic record with the end of its log', async (t) => {
  const dir = await tempDir(t);
  await pstoreFile(dir, 'dmesg-ramoops-1', [
    'Panic#2 Part1',
    '<6>[   88.000001] e1000e: eno1 NIC Link is Down',
    '<3>[   88.000002] nvme nvme0: I/O 12 QID 3 timeout, aborting',
    '<6>[   88.000003] ',
  ]);
  await pstoreFile(dir, 'dmesg-ramoops-2', ['Shutdown#1 Part1', '<6>[  900.000000] reboot: Power down']);
  const events = await pstoreProbe.once(SETTINGS, { root: '/', input: dir });
  assert.deepEqual(events, [
    {
      classification: 'org.clearlinux/kernel/panic',
      severity: 4,
      payload: 'Crash Report:\nReason: Panic#2 Part1 (pstore dmesg-ramoops-1: no oops in its log)\ne1000e: eno1 NIC Link is Down\nnvme nvme0: I/O 12 QID 3 timeout, aborting\n',
      createdAt: events[0]?.createdAt,
    },
  ]);
});

test('pstore probe once: a long panic log without an oops keeps its end and says how much of its start is left out', async (t) => {
  const dir = await tempDir(t);
  await pstoreFile(dir, 'dmesg-efi-170000000001003', [
    'Panic#3 Part1',
    ...Array.from({ length: 500 }, (_unused, index) => `<6>[  ${index}.000000] line number ${index} of the log before the panic`),
  ]);
  const [event] = await pstoreProbe.once(SETTINGS, { root: '/', input: dir });
  assert.ok(event);
  assert.ok(Buffer.byteLength(event.payload) <= 8192);
  const lines = event.payload.split('\n');
  assert.equal(lines[1], 'Reason: Panic#3 Part1 (pstore dmesg-efi-170000000001003: no oops in its log)');
  assert.match(lines[2] ?? '', /^… \d+ earlier lines left out: a payload holds at most 8192 bytes$/);
  assert.equal(lines.at(-2), 'line number 499 of the log before the panic');
  assert.equal(Number(/^… (\d+)/.exec(lines[2] ?? '')?.[1]) + lines.length - 4, 500);
});

test('pstore probe once: the console log of the previous boot gives its panic only, and a panic also in a dmesg dump goes once', async (t) => {
  const dir = await tempDir(t);
  await pstoreFile(dir, 'console-ramoops-0', [...dumpLines('warning.txt'), ...dumpLines('panic.txt')]);
  await pstoreFile(dir, 'dmesg-ramoops-0', ['Panic#1 Part1', ...dumpLines('panic.txt')]);
  const events = await pstoreProbe.once(SETTINGS, { root: '/', input: dir });
  assert.deepEqual(summary(events), [['org.clearlinux/kernel/panic', 'Reason: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)']]);
  assert.equal(events[0]?.payload, payloadOf('panic.payload'));
});

test('pstore probe once: without input it reads `dir` under the root; a directory that cannot be read is a system error naming it', async (t) => {
  const root = await tempDir(t);
  await pstoreFile(path.join(root, 'sys', 'fs', 'pstore'), 'dmesg-ramoops-0', ['Oops#1 Part1', ...dumpLines('soft-lockup.txt')]);
  assert.deepEqual(
    (await pstoreProbe.once(SETTINGS, { root })).map((event) => event.payload),
    [payloadOf('soft-lockup.payload')],
  );
  await assert.rejects(pstoreProbe.once({ ...SETTINGS, dir: '/nowhere' }, { root }), (error: unknown) => {
    assert.ok(error instanceof TelemError);
    assert.equal(error.code, 'system');
    assert.match(error.message, /^cannot read the pstore directory .*\/nowhere: ENOENT/);
    return true;
  });
});

function pstoreDir(context: TestProbeContext): string {
  return path.join(context.root, 'sys', 'fs', 'pstore');
}

function remembered(context: TestProbeContext): string[] {
  return (JSON.parse(readFileSync(path.join(context.stateDir, REPORTED_FILE), 'utf8')) as { reported: string[] }).reported.map((key) => key.split(' ')[0] ?? '');
}

test('pstore probe: it reports at start, remembers what it reported, and looks again every `every` for new dumps', async (t) => {
  const context = await probeContext(t);
  const dir = pstoreDir(context);
  await pstoreFile(dir, 'dmesg-ramoops-0', ['Oops#1 Part1', ...dumpLines('warning.txt')]);
  await pstoreFile(dir, 'dmesg-ramoops-1', ['Shutdown#1 Part1', '<6>[ 1.0] reboot: Restarting system']);
  const running = pstoreProbe.start(SETTINGS, context);
  t.after(() => running.stop());
  await waitFor(() => context.clock.pending().includes(HOUR), 'the next look in an hour');
  assert.deepEqual(
    context.events.map((event) => event.payload),
    [payloadOf('warning.payload')],
  );
  assert.deepEqual(remembered(context), ['dmesg-ramoops-0', 'dmesg-ramoops-1']);

  context.clock.advance(HOUR);
  await waitFor(() => context.clock.pending().includes(HOUR), 'the look after that');
  assert.equal(context.events.length, 1, 'nothing new, nothing sent');

  await pstoreFile(dir, 'dmesg-ramoops-2', ['Oops#2 Part1', ...dumpLines('soft-lockup.txt')]);
  // The kernel reuses a name once the old entry is gone: new content is a new dump.
  await pstoreFile(dir, 'dmesg-ramoops-0', ['Oops#3 Part1', ...dumpLines('null-pointer.txt')]);
  context.clock.advance(HOUR);
  await waitFor(() => context.events.length === 3, 'the two new dumps');
  assert.deepEqual(
    context.events.slice(1).map((event) => event.payload),
    [payloadOf('null-pointer.payload'), payloadOf('soft-lockup.payload')],
  );
  await running.stop();
  assert.deepEqual(remembered(context), ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'dmesg-ramoops-2']);
});

test('pstore probe: with remove_after_report a dump is deleted once its records are spooled, and kept (remembered) when one was refused', async (t) => {
  const context = await probeContext(t);
  const dir = pstoreDir(context);
  const spooled = await pstoreFile(dir, 'dmesg-ramoops-0', ['Oops#1 Part1', ...dumpLines('warning.txt')]);
  const refused = await pstoreFile(dir, 'dmesg-ramoops-1', ['Oops#2 Part1', ...dumpLines('soft-lockup.txt')]);
  const answers: ((spooled: boolean) => void)[] = [];
  context.answer = () => new Promise((resolve) => answers.push(resolve));
  const running = pstoreProbe.start({ ...SETTINGS, remove_after_report: true }, context);
  t.after(() => running.stop());

  await waitFor(() => answers.length === 1, 'the first emit');
  assert.ok(existsSync(spooled), 'still there while its emit is pending');
  answers[0]?.(true);
  await waitFor(() => answers.length === 2, 'the second emit');
  assert.ok(!existsSync(spooled), 'deleted once spooled');
  answers[1]?.(false);
  await waitFor(() => context.clock.pending().includes(HOUR), 'the next look');
  assert.ok(existsSync(refused), 'a refused record leaves its dump on disk');
  assert.deepEqual(remembered(context), ['dmesg-ramoops-1']);

  context.clock.advance(HOUR);
  await waitFor(() => context.clock.pending().includes(HOUR), 'the look after that');
  assert.equal(context.events.length, 2, 'the refused dump is not sent again');
});

test('pstore probe: a dump whose emit the stopping agent refused is neither deleted nor remembered, and goes at the next start', async (t) => {
  const context = await probeContext(t);
  const file = await pstoreFile(pstoreDir(context), 'dmesg-ramoops-0', ['Panic#1 Part1', ...dumpLines('panic.txt')]);
  context.answer = () => Promise.reject(new Error('the agent is stopping'));
  const first = pstoreProbe.start({ ...SETTINGS, remove_after_report: true }, context);
  await waitFor(() => context.events.length === 1, 'the refused emit');
  await first.stop();
  assert.ok(existsSync(file));
  assert.ok(!existsSync(path.join(context.stateDir, REPORTED_FILE)));

  context.answer = () => Promise.resolve(true);
  const second = pstoreProbe.start({ ...SETTINGS, remove_after_report: true }, context);
  t.after(() => second.stop());
  await waitFor(() => !existsSync(file), 'the dump deleted after its record was spooled');
  assert.equal(context.events.length, 2);
});

test('pstore probe: a pstore directory that is not there yet is looked for again every `every`', async (t) => {
  const context = await probeContext(t);
  const running = pstoreProbe.start(SETTINGS, context);
  t.after(() => running.stop());
  await waitFor(() => context.clock.pending().includes(HOUR), 'the next look');
  assert.equal(context.events.length, 0);
  await pstoreFile(pstoreDir(context), 'dmesg-ramoops-0', ['Panic#1 Part1', ...dumpLines('panic.txt')]);
  context.clock.advance(HOUR);
  await waitFor(() => context.events.length === 1, 'the dump once the directory is there');
  assert.equal(context.events[0]?.payload, payloadOf('panic.payload'));
});

test('pstore probe: what it can send, and its one-line summary', () => {
  // The oops patterns' classifications (their exact list: oops-parser.test.ts).
  assert.deepEqual(pstoreProbe.classifications(SETTINGS), oopsClassifications());
  assert.equal(pstoreProbe.summary, 'Oopses and panics the previous boot left in pstore (/sys/fs/pstore), one record per oops (upstream pstoreprobe).');
});
