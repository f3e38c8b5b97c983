/**
 * journalProbe.start: the real journalctl following journal files (written by
 * systemd-journal-remote) under a test root whose boot id file names the boot of the entries.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { cursorFile, readCursor, writeCursor } from '../../../engine/probes/journal/cursor-file.js';
import { journalProbe } from '../../../engine/probes/journal/probe.js';
import type { ProbeContext, ProbeEvent, RunningProbe } from '../../../engine/probes/probe.js';
import { journalProbeSchema } from '../../../schemas/probes.js';
import { capturingLogger, waitUntil } from '../../helpers/intake.js';
import { skipUnlessRequired } from '../../helpers/skip.js';
import { tempDir } from '../../helpers/tmp.js';
import { EARLIER_BOOT_ID, journalCursors, journalRemoteMissing, TEST_BOOT_ID, writeBootId, writeJournalFile } from './journal-file.js';
import { VirtualClock } from '../../helpers/virtual-clock.js';

const skip = skipUnlessRequired(journalRemoteMissing());

const T0 = 1_700_000_000_000_000;
const WAIT_MS = 10_000;
const FIRST_START = 'reading the journal from its end: at the first start, entries logged before it are not sent';

interface Harness {
  readonly root: string;
  readonly journalDir: string;
  readonly clock: VirtualClock;
  readonly context: ProbeContext;
  readonly events: ProbeEvent[];
  /** What the probe logged, without pino's time, pid and hostname. */
  logs(): Record<string, unknown>[];
  start(): RunningProbe;
}

async function harness(t: TestContext, emit?: (event: ProbeEvent) => Promise<boolean>): Promise<Harness> {
  const root = await tempDir(t, 'telem-journal-live-');
  await writeBootId(root);
  const events: ProbeEvent[] = [];
  const { logger, lines } = capturingLogger();
  const clock = new VirtualClock();
  const context: ProbeContext = {
    root,
    logger,
    clock,
    stateDir: path.join(root, 'var/lib/telem/probes/journal'),
    emit:
      emit ??
      ((event) => {
        events.push(event);
        return Promise.resolve(true);
      }),
  };
  return {
    root,
    journalDir: path.join(root, 'var/log/journal'),
    clock,
    context,
    events,
    logs: () => lines().map(({ time, pid, hostname, ...rest }) => rest),
    start() {
      const probe = journalProbe.start(journalProbeSchema.parse({ enabled: true }), context);
      t.after(() => stopWithin(probe));
      return probe;
    },
  };
}

/** The journalctl processes reading the journal under `root`. */
async function journalctlsUnder(root: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (path.basename(args[0] ?? '') === 'journalctl' && args.includes(`--root=${root}`)) pids.push(Number(name));
  }
  return pids;
}

function payloads(events: readonly ProbeEvent[]): string[] {
  return events.map((event) => event.payload);
}

/** Stops the probe, failing the test when that takes longer than WAIT_MS. */
async function stopWithin(probe: RunningProbe): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the probe did not stop within ${WAIT_MS} ms`)), WAIT_MS);
  });
  try {
    await Promise.race([probe.stop(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function settle(): Promise<void> {
  // Long enough for journalctl to print an entry it should not have: none may arrive.
  await new Promise((resolve) => setTimeout(resolve, 300));
}

test('journal probe start: at the first start, entries already logged are not sent, the end is saved as cursor, and new entries are sent', { skip }, async (t) => {
  const h = await harness(t);
  const first = path.join(h.journalDir, 'system.journal');
  await writeJournalFile(first, [
    { realtimeUs: T0 + 1_000_000, priority: 3, message: 'an error before the start' },
    { realtimeUs: T0 + 2_000_000, priority: 6, message: 'the newest entry before the start' },
  ]);
  const probe = h.start();
  await waitUntil(() => h.logs().length > 0, WAIT_MS, 'the probe to say where it starts');
  assert.equal(await readCursor(h.context.stateDir), journalCursors(first).get('the newest entry before the start'));

  // A journal file that appears in the directory, as journald's does when it rotates.
  const later = path.join(h.journalDir, 'later.journal');
  await writeJournalFile(later, [
    { realtimeUs: T0 + 3_000_000, priority: 3, identifier: 'app', message: 'an error after the start' },
    { realtimeUs: T0 + 4_000_000, priority: 6, message: 'information after the start' },
    { realtimeUs: T0 + 5_000_000, priority: 3, bootId: EARLIER_BOOT_ID, message: 'an error of another boot' },
    { realtimeUs: T0 + 6_000_000, priority: 2, message: 'critical after the start' },
  ]);
  await waitUntil(() => h.events.length >= 2, WAIT_MS, 'two events');
  await settle();
  await stopWithin(probe);

  const event = { classification: 'org.clearlinux/journal/error', severity: 2 };
  assert.deepEqual(h.events, [
    { ...event, payload: 'an error after the start\n', createdAt: new Date(1_700_000_003_000) },
    { ...event, payload: 'critical after the start\n', createdAt: new Date(1_700_000_006_000) },
  ]);
  assert.equal(await readFile(cursorFile(h.context.stateDir), 'utf8'), `${journalCursors(later).get('critical after the start')}\n`);
  assert.deepEqual(h.logs(), [{ level: 30, cursor: journalCursors(first).get('the newest entry before the start'), msg: FIRST_START }]);
  assert.deepEqual(await journalctlsUnder(h.root), [], 'journalctl ended with the probe');
});

test('journal probe start: a restarted probe sends only the entries after the saved cursor', { skip }, async (t) => {
  const h = await harness(t);
  await writeJournalFile(path.join(h.journalDir, 'system.journal'), [{ realtimeUs: T0 + 1_000_000, priority: 6, message: 'the newest entry before the start' }]);
  const probe = h.start();
  await waitUntil(() => h.logs().length > 0, WAIT_MS, 'the probe to start');
  const sent = path.join(h.journalDir, 'sent.journal');
  await writeJournalFile(sent, [{ realtimeUs: T0 + 2_000_000, priority: 3, message: 'sent before the restart' }]);
  await waitUntil(() => h.events.length === 1, WAIT_MS, 'the first event');
  await stopWithin(probe);

  // Logged while the probe was not running.
  await writeJournalFile(path.join(h.journalDir, 'meanwhile.journal'), [
    { realtimeUs: T0 + 3_000_000, priority: 3, message: 'logged while stopped' },
    { realtimeUs: T0 + 4_000_000, priority: 1, message: 'also logged while stopped' },
  ]);
  const restarted = h.start();
  await waitUntil(() => h.events.length === 3, WAIT_MS, 'two more events');
  await settle();
  await stopWithin(restarted);
  assert.deepEqual(payloads(h.events), ['sent before the restart\n', 'logged while stopped\n', 'also logged while stopped\n']);
  assert.deepEqual(h.logs().at(-1), { level: 30, cursor: journalCursors(sent).get('sent before the restart'), msg: 'reading the journal after the saved cursor' });
});

test('journal probe start: restarted before it sent anything, the probe sends every entry logged after the end it saved', { skip }, async (t) => {
  const h = await harness(t);
  const first = path.join(h.journalDir, 'system.journal');
  // The end of the journal is an entry the probe does not send: resuming after it must not lose the next one that it does.
  await writeJournalFile(first, [{ realtimeUs: T0 + 1_000_000, priority: 6, message: 'the newest entry before the start' }]);
  const probe = h.start();
  await waitUntil(() => h.logs().length > 0, WAIT_MS, 'the probe to start');
  await stopWithin(probe);
  await writeJournalFile(path.join(h.journalDir, 'meanwhile.journal'), [
    { realtimeUs: T0 + 2_000_000, priority: 3, message: 'first while stopped' },
    { realtimeUs: T0 + 3_000_000, priority: 3, message: 'second while stopped' },
  ]);
  const restarted = h.start();
  await waitUntil(() => h.events.length >= 2, WAIT_MS, 'two events');
  await settle();
  await stopWithin(restarted);
  assert.deepEqual(payloads(h.events), ['first while stopped\n', 'second while stopped\n']);
  assert.deepEqual(h.logs().at(-1), { level: 30, cursor: journalCursors(first).get('the newest entry before the start'), msg: 'reading the journal after the saved cursor' });
});

test('journal probe start: with a cursor from an earlier boot, the current boot is read from its start', { skip }, async (t) => {
  const h = await harness(t);
  const file = path.join(h.journalDir, 'system.journal');
  // More than the 10 entries journalctl --follow starts with by default.
  const errors = Array.from({ length: 12 }, (_, index) => ({ realtimeUs: T0 + (index + 1) * 1_000_000, priority: 3, message: `error ${index + 1} of this boot` }));
  await writeJournalFile(file, [
    { realtimeUs: T0, priority: 3, bootId: EARLIER_BOOT_ID, message: 'sent in the earlier boot' },
    ...errors.slice(0, 6),
    { realtimeUs: T0 + 6_500_000, priority: 5, message: 'a notice' },
    ...errors.slice(6),
  ]);
  writeCursor(h.context.stateDir, journalCursors(file).get('sent in the earlier boot') ?? '');
  const probe = h.start();
  await waitUntil(() => h.events.length >= 12, WAIT_MS, 'twelve events');
  await settle();
  await stopWithin(probe);
  assert.deepEqual(
    payloads(h.events),
    errors.map((entry) => `${entry.message}\n`),
  );
  assert.deepEqual(h.logs(), [{ level: 30, msg: 'reading the journal from the start of the current boot: the saved cursor is from an earlier boot' }]);
});

test('journal probe start: the cursor moves past an entry only once emit resolved for it, refused or not', { skip }, async (t) => {
  const pending: { event: ProbeEvent; resolve: (accepted: boolean) => void }[] = [];
  const h = await harness(t, (event) => new Promise((resolve) => pending.push({ event, resolve })));
  const file = path.join(h.journalDir, 'system.journal');
  await writeJournalFile(file, [
    { realtimeUs: T0, priority: 3, bootId: EARLIER_BOOT_ID, message: 'sent in the earlier boot' },
    { realtimeUs: T0 + 1_000_000, priority: 3, message: 'first' },
    { realtimeUs: T0 + 2_000_000, priority: 3, message: 'second' },
  ]);
  const cursors = journalCursors(file);
  writeCursor(h.context.stateDir, cursors.get('sent in the earlier boot') ?? '');
  const probe = h.start();

  await waitUntil(() => pending.length === 1, WAIT_MS, 'the first emit');
  await settle();
  assert.equal(pending.length, 1, 'the next entry waits for the one in flight');
  assert.equal(await readCursor(h.context.stateDir), cursors.get('sent in the earlier boot'));
  pending[0]?.resolve(true);
  await waitUntil(() => pending.length === 2, WAIT_MS, 'the second emit');
  assert.equal(await readCursor(h.context.stateDir), cursors.get('first'));
  await settle();
  assert.equal(await readCursor(h.context.stateDir), cursors.get('first'));
  pending[1]?.resolve(false);
  await waitUntil(() => readFileSync(cursorFile(h.context.stateDir), 'utf8') === `${cursors.get('second')}\n`, WAIT_MS, 'the cursor of the refused entry');
  await stopWithin(probe);
  assert.deepEqual(
    pending.map(({ event }) => event.payload),
    ['first\n', 'second\n'],
  );
});

test('journal probe start: when emit rejects (the agent is stopping), the probe ends journalctl and keeps the cursor', { skip }, async (t) => {
  let calls = 0;
  const h = await harness(t, () => {
    calls += 1;
    return Promise.reject(new Error('the agent is stopping'));
  });
  const file = path.join(h.journalDir, 'system.journal');
  await writeJournalFile(file, [
    { realtimeUs: T0, priority: 3, bootId: EARLIER_BOOT_ID, message: 'sent in the earlier boot' },
    { realtimeUs: T0 + 1_000_000, priority: 3, message: 'first' },
    { realtimeUs: T0 + 2_000_000, priority: 3, message: 'second' },
  ]);
  const saved = journalCursors(file).get('sent in the earlier boot');
  writeCursor(h.context.stateDir, saved ?? '');
  const probe = h.start();
  await waitUntil(() => h.logs().length === 2, WAIT_MS, 'the probe to stop reading');
  assert.deepEqual(h.logs()[1], { level: 30, msg: 'the agent is stopping: the journal probe stops reading' });
  assert.deepEqual(await journalctlsUnder(h.root), []);
  await settle();
  assert.equal(calls, 1, 'nothing more is emitted');
  assert.deepEqual(h.clock.pending(), [], 'journalctl is not started again');
  assert.equal(await readCursor(h.context.stateDir), saved);
  await stopWithin(probe);
});

test('journal probe start: without journalctl on PATH, one error with its code and hint, and nothing else', { skip }, async (t) => {
  const h = await harness(t);
  const emptyBin = await tempDir(t, 'telem-no-journalctl-');
  const path0 = process.env.PATH;
  process.env.PATH = emptyBin;
  t.after(() => (process.env.PATH = path0));
  const probe = h.start();
  await waitUntil(() => h.logs().length > 0, WAIT_MS, 'the error');
  await settle();
  assert.deepEqual(h.logs(), [
    {
      level: 50,
      code: 'program-missing',
      hint: 'install systemd (it provides journalctl), or turn the probe off with collection.probes.journal.enabled: false',
      msg: 'cannot run journalctl: it is not installed or not on PATH, so the journal probe reads nothing',
    },
  ]);
  assert.deepEqual(h.clock.pending(), [], 'no restart is scheduled');
  await stopWithin(probe);
  assert.deepEqual(h.events, []);
});

test('journal probe start: a journalctl that exits is started again after 1 s, then 2 s, then 4 s; stop cancels the wait', { skip }, async (t) => {
  const h = await harness(t);
  const bin = await tempDir(t, 'telem-fake-journalctl-');
  const calls = path.join(bin, 'calls');
  // A journalctl that fails at once, like one refused the journal files, and notes how it was run.
  await writeFile(path.join(bin, 'journalctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\necho 'Failed to open files: Input/output error' >&2\nexit 1\n`);
  await chmod(path.join(bin, 'journalctl'), 0o755);
  const path0 = process.env.PATH;
  process.env.PATH = bin;
  t.after(() => (process.env.PATH = path0));
  const cursor = `s=00000000000000000000000000000001;i=1;b=${TEST_BOOT_ID};m=0;t=0;x=0`;
  writeCursor(h.context.stateDir, cursor);
  await mkdir(h.journalDir, { recursive: true });
  const runs = async (): Promise<string[]> => (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const failed = (delay: string): Record<string, unknown> => ({ level: 40, msg: `journalctl exited with status 1: Failed to open files: Input/output error; starting it again in ${delay}` });
  const resumed = { level: 30, cursor, msg: 'reading the journal after the saved cursor' };

  const probe = h.start();
  await waitUntil(() => h.logs().length === 2, WAIT_MS, 'the first exit');
  assert.deepEqual(await runs(), [
    `--output=json --all --no-pager --quiet --output-fields=MESSAGE,PRIORITY,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER --root=${h.root} --follow --no-tail --cursor=${cursor} --priority=0..3 -- _BOOT_ID=${TEST_BOOT_ID}`,
  ]);
  assert.deepEqual(h.clock.pending(), [1000]);
  h.clock.advance(999);
  await settle();
  assert.equal((await runs()).length, 1, 'not started again before its time');
  h.clock.advance(1);
  await waitUntil(() => h.logs().length === 4, WAIT_MS, 'the second exit');
  assert.deepEqual(h.clock.pending(), [2000]);
  h.clock.advance(2000);
  await waitUntil(() => h.logs().length === 6, WAIT_MS, 'the third exit');
  assert.deepEqual(h.logs(), [resumed, failed('1 s'), resumed, failed('2 s'), resumed, failed('4 s')]);
  assert.equal((await runs()).length, 3);
  await stopWithin(probe);
  assert.deepEqual(h.clock.pending(), [], 'stop cancelled the wait');
});
