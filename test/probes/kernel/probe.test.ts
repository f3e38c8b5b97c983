import assert from 'node:assert/strict';
import { oopsClassifications } from '../../../engine/probes/kernel/oops-patterns.js';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { TelemError } from '../../../engine/errors/telem-error.js';
import { POSITION_FILE, readPosition } from '../../../engine/probes/kernel/kmsg-position.js';
import { kernelProbe } from '../../../engine/probes/kernel/probe.js';
import type { ProbeSettings, RunningProbe } from '../../../engine/probes/probe.js';
import { fromRoot } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { BOOT_ID, type TestProbeContext, probeContext, waitFor } from './probe-context.js';

const SETTINGS: ProbeSettings['kernel'] = { enabled: true, source: '/dev/kmsg', modules: true };

/** Records of a WARNING with a two-frame trace, from `seq` on (eight records), and its payload. */
function warning(seq: number, line: number): { records: string; payload: string } {
  const texts = [
    `WARNING: CPU: 0 PID: 1 at drivers/demo.c:${line} demo_fn+0x1/0x2 [demo]`,
    'CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-13-amd64 #1',
    'Call Trace:',
    ' <TASK>',
    ' demo_fn+0x1/0x2 [demo]',
    ' kthread+0xda/0x100',
    ' </TASK>',
    '---[ end trace 0000000000000000 ]---',
  ];
  return {
    records: texts.map((text, index) => `4,${seq + index},${(seq + index) * 1000},-;${text}\n`).join(''),
    payload: `Crash Report:\nReason: WARNING: CPU: 0 PID: 1 at drivers/demo.c:${line} demo_fn+0x1/0x2 [demo]\nKernel Version : 6.1.0-13-amd64 #1\nTainted : Not tainted\nBacktrace :\n#1 demo_fn - [demo]\n#2 kthread - [kernel]\n`,
  };
}

function plain(seq: number, text = 'e1000e: eno1 NIC Link is Up'): string {
  return `6,${seq},${seq * 1000},-;${text}\n`;
}

async function kmsgFile(context: TestProbeContext, content: string): Promise<string> {
  const file = path.join(context.root, 'dev', 'kmsg');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

function savedSeq(context: TestProbeContext): number | undefined {
  return readPosition(context.stateDir)?.seq;
}

async function writePosition(context: TestProbeContext, position: { bootId: string; source: string; seq: number }): Promise<void> {
  await mkdir(context.stateDir, { recursive: true });
  await writeFile(path.join(context.stateDir, POSITION_FILE), JSON.stringify(position));
}

function started(t: { after(fn: () => Promise<void>): void }, context: TestProbeContext, settings = SETTINGS): RunningProbe {
  const running = kernelProbe.start(settings, context);
  t.after(() => running.stop());
  return running;
}

test('kernel probe: at the first start it follows the log from its end — an oops already there is not sent, one written later is', async (t) => {
  const context = await probeContext(t);
  const first = warning(0, 1);
  // The last record a program wrote: it holds a place in the sequence, so the position includes it.
  const file = await kmsgFile(context, `${first.records}${plain(8)}12,9,9000,-;logger[99]: WARNING: written by a program\n`);
  const running = started(t, context);
  await waitFor(() => savedSeq(context) === 9, 'the position at the end of the log');
  assert.deepEqual(readPosition(context.stateDir), { bootId: BOOT_ID, source: '/dev/kmsg', seq: 9 });

  const second = warning(10, 2);
  await appendFile(file, second.records + plain(18));
  await waitFor(() => context.events.length === 1, 'the oops written after the start');
  assert.deepEqual(context.events, [
    {
      classification: 'org.clearlinux/kernel/warning',
      severity: 2,
      payload: second.payload,
      // Booted 1000.5 s before the virtual clock's now; the oops's first record is 10 ms after boot.
      createdAt: new Date(1_700_000_000_000 - 1_000_500 + 10),
    },
  ]);
  await waitFor(() => savedSeq(context) === 18, 'the position after the emitted oops');
  await running.stop();
  assert.equal(context.events.length, 1);
  assert.equal(savedSeq(context), 18);
});

test('kernel probe: after a restart in the same boot it goes on after the last record it dealt with', async (t) => {
  const context = await probeContext(t);
  const before = warning(0, 1);
  const after = warning(9, 2);
  await kmsgFile(context, before.records + plain(8) + after.records);
  await writePosition(context, { bootId: BOOT_ID, source: '/dev/kmsg', seq: 8 });
  started(t, context);
  await waitFor(() => savedSeq(context) === 16, 'the position after the new oops');
  assert.deepEqual(
    context.events.map((event) => event.payload),
    [after.payload],
  );
});

test('kernel probe: after a reboot (another boot id) it reads the new log from its start', async (t) => {
  const context = await probeContext(t);
  const oops = warning(0, 3);
  await kmsgFile(context, oops.records + Array.from({ length: 12 }, (_unused, index) => plain(8 + index)).join(''));
  await writePosition(context, { bootId: 'aaaaaaaa-0000-4000-8000-000000000000', source: '/dev/kmsg', seq: 10 });
  started(t, context);
  await waitFor(() => context.events.length === 1, 'the oops of the new boot');
  assert.equal(context.events[0]?.payload, oops.payload);
  await waitFor(() => readPosition(context.stateDir)?.bootId === BOOT_ID, 'the position of this boot');
  assert.deepEqual(readPosition(context.stateDir), { bootId: BOOT_ID, source: '/dev/kmsg', seq: 19 });
});

test('kernel probe: a position saved for another source counts as none: it starts at the end', async (t) => {
  const context = await probeContext(t);
  await kmsgFile(context, warning(0, 4).records);
  await writePosition(context, { bootId: BOOT_ID, source: '/dev/other', seq: -1 });
  started(t, context);
  await waitFor(() => readPosition(context.stateDir)?.source === '/dev/kmsg', 'a position for /dev/kmsg');
  assert.equal(savedSeq(context), 7);
  assert.deepEqual(context.events, []);
});

test('kernel probe: a log that ends below the saved position in the same boot is not the log it read: it is read again from its start', async (t) => {
  const context = await probeContext(t);
  const oops = warning(0, 5);
  await kmsgFile(context, oops.records);
  await writePosition(context, { bootId: BOOT_ID, source: '/dev/kmsg', seq: 5000 });
  started(t, context);
  await waitFor(() => context.events.length === 1, 'the oops below the saved position');
  assert.equal(context.events[0]?.payload, oops.payload);
  await waitFor(() => savedSeq(context) === 7, 'the position in the new log');
});

test("kernel probe: an oops the log leaves open is complete after a quiet second on the probe's clock", async (t) => {
  const context = await probeContext(t);
  const file = await kmsgFile(context, '');
  started(t, context);
  await waitFor(() => savedSeq(context) === -1, 'the position of the empty log');
  const texts = ['watchdog: BUG: soft lockup - CPU#2 stuck for 26s! [kworker/2:1:213]', 'Call Trace:', ' <TASK>', ' ata_scsi_queuecmd+0x86/0xa0', ' </TASK>'];
  await appendFile(file, texts.map((text, index) => `4,${index},${index},-;${text}\n`).join(''));
  await waitFor(() => context.clock.pending().includes(1000), 'the quiet timer');
  context.clock.advance(999);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(context.events.length, 0, 'not before the quiet second is over');
  context.clock.advance(1);
  await waitFor(() => context.events.length === 1, 'the oops after the quiet second');
  assert.equal(context.events[0]?.payload, 'Crash Report:\nReason: watchdog: BUG: soft lockup - CPU#2 stuck for 26s! [kworker/2:1:213]\nBacktrace :\n#1 ata_scsi_queuecmd - [kernel]\n');
  assert.equal(context.events[0]?.classification, 'org.clearlinux/kernel/bug');
  await waitFor(() => savedSeq(context) === 4, 'the position after the oops');
});

test('kernel probe: the position passes an oops only once emit resolved; an emit the stopping agent refused is sent again after the restart', async (t) => {
  const context = await probeContext(t);
  const file = await kmsgFile(context, plain(0));
  let release: (spooled: boolean) => void = () => undefined;
  context.answer = () => new Promise((resolve) => (release = resolve));
  const running = started(t, context);
  await waitFor(() => savedSeq(context) === 0, 'the position at the end');
  const oops = warning(1, 6);
  await appendFile(file, oops.records + plain(9));
  await waitFor(() => context.events.length === 1, 'the emit');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(savedSeq(context), 0, 'not past the oops while its emit is pending');
  release(true);
  await waitFor(() => savedSeq(context) === 9, 'the position after the oops');

  const next = warning(10, 7);
  context.answer = () => Promise.reject(new Error('the agent is stopping'));
  await appendFile(file, next.records);
  await waitFor(() => context.events.length === 2, 'the second emit');
  await running.stop();
  assert.equal(savedSeq(context), 9, 'the refused oops is not passed');

  context.answer = () => Promise.resolve(true);
  started(t, context);
  await waitFor(() => context.events.length === 3, 'the refused oops again');
  assert.equal(context.events[2]?.payload, next.payload);
  await waitFor(() => savedSeq(context) === 17, 'the position after it');
});

test('kernel probe: it reads records through a FIFO, after the saved position, and sequence numbers that go back start a new log', async (t) => {
  const context = await probeContext(t);
  const fifo = path.join(context.root, 'run', 'kmsg.fifo');
  await mkdir(path.dirname(fifo), { recursive: true });
  execFileSync('mkfifo', [fifo]);
  await writePosition(context, { bootId: BOOT_ID, source: '/run/kmsg.fifo', seq: 99 });
  started(t, context, { ...SETTINGS, source: '/run/kmsg.fifo' });
  const writer = await open(fifo, 'w');
  t.after(() => writer.close().catch(() => undefined));
  const first = warning(100, 8);
  await writer.write(first.records);
  await waitFor(() => savedSeq(context) === 107, 'the first oops');
  const again = warning(0, 9);
  await writer.write(again.records);
  await waitFor(() => context.events.length === 2, 'the oops of the new log');
  assert.deepEqual(
    context.events.map((event) => event.payload),
    [first.payload, again.payload],
  );
  await waitFor(() => savedSeq(context) === 7, 'the position in the new log');
});

test('kernel probe: a source that cannot be opened is logged and tried again; stop still resolves', async (t) => {
  const context = await probeContext(t);
  const running = started(t, context, { ...SETTINGS, source: '/dev/missing-kmsg' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await running.stop();
  assert.deepEqual(context.events, []);
});

test('kernel probe once: a saved log in dmesg text or as kmsg records, and the source itself from its start to its end', async (t) => {
  const root = await tempDir(t);
  const dmesg = await kernelProbe.once(SETTINGS, { root, input: fromRoot('test', 'fixtures', 'kernel-oops-modern', 'null-pointer.txt') });
  assert.deepEqual(
    dmesg.map((event) => event.classification),
    ['org.clearlinux/kernel/bug'],
  );
  const kmsg = await kernelProbe.once(SETTINGS, { root, input: fromRoot('test', 'fixtures', 'kernel-oops-modern', 'warning.kmsg') });
  assert.equal(kmsg[0]?.payload, await readFile(fromRoot('test', 'fixtures', 'kernel-oops-modern', 'warning.payload'), 'utf8'));
  assert.equal(kmsg[0]?.createdAt, undefined, 'a saved log may be of another boot: undated');

  const context = await probeContext(t, { root });
  await kmsgFile(context, warning(0, 10).records + plain(8) + warning(9, 11).records);
  const live = await kernelProbe.once({ ...SETTINGS, modules: false }, { root });
  assert.deepEqual(
    live.map((event) => event.payload),
    [warning(0, 10).payload, warning(9, 11).payload],
  );
  assert.ok(live[0]?.createdAt instanceof Date, 'dated from /proc/uptime');
});

test('kernel probe once: an input that cannot be read is a system error naming it', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(kernelProbe.once(SETTINGS, { root, input: path.join(root, 'nothing.log') }), (error: unknown) => {
    assert.ok(error instanceof TelemError);
    assert.equal(error.code, 'system');
    assert.match(error.message, /^cannot read the kernel log .*nothing\.log: ENOENT/);
    return true;
  });
  await assert.rejects(kernelProbe.once(SETTINGS, { root }), /^TelemError: cannot open the kernel log .*\/dev\/kmsg: ENOENT/);
});

test('kernel probe: what it can send, and its one-line summary', () => {
  // The oops patterns' classifications (their exact list: oops-parser.test.ts).
  assert.deepEqual(kernelProbe.classifications(SETTINGS), oopsClassifications());
  assert.equal(kernelProbe.name, 'kernel');
  assert.equal(kernelProbe.summary, 'Kernel oopses, BUGs, WARNINGs, lockups and panics from the kernel log (/dev/kmsg), one record per oops (upstream klogscanner).');
});
