import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseKernelLog } from '../../../engine/probes/kernel/oops-parser.js';
import { OOPS_PATTERNS, oopsClassifications, oopsPattern } from '../../../engine/probes/kernel/oops-patterns.js';
import { fromRoot } from '../../helpers/paths.js';

interface UpstreamCase {
  readonly input: string;
  readonly reason: string;
  readonly payload_contains: readonly string[];
}

const UPSTREAM_DIR = fromRoot('test', 'fixtures', 'conformance', 'kernel-oops');
const MODERN_DIR = fromRoot('test', 'fixtures', 'kernel-oops-modern');
const upstreamCases = JSON.parse(readFileSync(`${UPSTREAM_DIR}/expected.json`, 'utf8')) as UpstreamCase[];

// What upstream's pattern table (oops_parser.c:39-170) gives each capture's first line.
const UPSTREAM_CLASSIFICATION: Record<string, [string, number]> = {
  'watchdog.txt': ['org.clearlinux/kernel/warning', 2],
  'ALSA.txt': ['crash/kernel/bug', 2],
  'warning.txt': ['org.clearlinux/kernel/warning', 2],
  'warn_on.txt': ['org.clearlinux/kernel/warning', 2],
  'sysctl_check1.txt': ['org.clearlinux/kernel/warning', 2],
  'sysctl_check2.txt': ['org.clearlinux/kernel/warning', 2],
  'soft_lockup.txt': ['org.clearlinux/kernel/bug', 4],
  'RTNL.txt': ['org.clearlinux/kernel/warning', 2],
  'kernel_null_pointer.txt': ['org.clearlinux/kernel/bug', 4],
  'kernel_bug_at_DONE.txt': ['org.clearlinux/kernel/bug', 4],
  'irq.txt': ['crash/kernel/warning', 2],
  'general_protection_fault.txt': ['org.clearlinux/kernel/bug', 4],
  'double_fault.txt': ['org.clearlinux/kernel/bug', 4],
  'bad_page_map.txt': ['org.clearlinux/kernel/bug', 4],
  'bug_kernel_handle.txt': ['org.clearlinux/kernel/bug', 4],
  'bug_kernel_handle_new.txt': ['org.clearlinux/kernel/bug', 4],
};

function upstreamLog(name: string): string {
  return readFileSync(`${UPSTREAM_DIR}/${name}`, 'utf8');
}

function modern(name: string): string {
  return readFileSync(`${MODERN_DIR}/${name}`, 'utf8');
}

test('oops parser: expected.json holds the 16 upstream parser cases', () => {
  assert.equal(upstreamCases.length, 16);
  assert.deepEqual(Object.keys(UPSTREAM_CLASSIFICATION).sort(), upstreamCases.map((vector) => vector.input).sort());
});

for (const vector of upstreamCases) {
  test(`oops parser, upstream case ${vector.input}: one oops with upstream's reason, payload lines, classification and severity`, () => {
    const events = parseKernelLog(upstreamLog(vector.input), { modules: true });
    assert.equal(events.length, 1, events.map((event) => event.payload.split('\n')[1]).join('\n'));
    const [event] = events;
    assert.ok(event);
    const lines = event.payload.split('\n');
    assert.equal(lines[0], 'Crash Report:');
    assert.equal(lines[1], `Reason: ${vector.reason}`);
    for (const fragment of vector.payload_contains) assert.ok(event.payload.includes(fragment), `payload lacks ${JSON.stringify(fragment)}:\n${event.payload}`);
    const [classification, severity] = UPSTREAM_CLASSIFICATION[vector.input] ?? [];
    assert.equal(event.classification, classification);
    assert.equal(event.severity, severity);
    assert.equal(event.payloadVersion, undefined);
    assert.equal(event.createdAt, undefined);
  });
}

test('oops parser: frames of modules name the module, kernel frames [kernel], unreliable ones keep "? "', () => {
  const [event] = parseKernelLog(upstreamLog('warning.txt'), { modules: true });
  const frames = event?.payload.split('\n').filter((line) => line.startsWith('#'));
  assert.deepEqual(frames?.slice(3, 8), [
    '#4 preempt_notifier_register - [kernel]',
    '#5 VBoxHost_RTThreadCtxHooksRegister - [vboxdrv]',
    '#6 ? update_curr - [kernel]',
    '#7 ? supdrvIOCtlFast - [vboxdrv]',
    '#8 ? VBoxDrvLinuxIOCtl_4_3_28 - [vboxdrv]',
  ]);
});

test('oops parser: two_warnings.txt gives two records, the second WARNING no longer swallowed by the first', () => {
  const events = parseKernelLog(upstreamLog('two_warnings.txt'), { modules: true });
  assert.deepEqual(
    events.map((event) => event.payload.split('\n')[1]),
    ['Reason: WARNING: strange, CPU MTRRs all blank?', 'Reason: WARNING: at arch/x86/kernel/cpu/mtrr/main.c:696 mtrr_trim_uncached_memory+0x190/0x195'],
  );
  assert.equal(events[0]?.payload, 'Crash Report:\nReason: WARNING: strange, CPU MTRRs all blank?\n');
  const frames = events[1]?.payload.split('\n').filter((line) => line.startsWith('#'));
  assert.equal(frames?.length, 10, 'the "=======" rule under the trace is no frame');
  assert.equal(frames?.[9], '#10 start_kernel - [kernel]');
});

test('oops parser: the line that ends an oops can start the next one (upstream dropped it)', () => {
  const log = [
    '<4>[ 5.0] BUG: scheduling while atomic: swapper/0/0/0x00000002',
    '<4>[ 5.1] Modules linked in: e1000',
    '<4>[ 5.2] WARNING: CPU: 0 PID: 0 at kernel/sched/core.c:5 f+0x1/0x2',
  ].join('\n');
  assert.deepEqual(
    parseKernelLog(log, { modules: true }).map((event) => [event.classification, event.payload]),
    [
      ['org.clearlinux/kernel/bug', 'Crash Report:\nReason: BUG: scheduling while atomic: swapper/0/0/0x00000002\nModules : e1000\n'],
      ['org.clearlinux/kernel/warning', 'Crash Report:\nReason: WARNING: CPU: 0 PID: 0 at kernel/sched/core.c:5 f+0x1/0x2\n'],
    ],
  );
});

test('oops parser: the other upstream captures give one oops each, with their first line as the reason', () => {
  const reasons = Object.fromEntries(
    ['badness.txt', '2or3_digit_loglevel.txt', 'loglevel_notimestamp.txt', 'nologlevel_notimestamp.txt', 'double_fault_DONE.txt', 'kernel_bug_at.txt', 'sysctl_check1', 'sysctl_check2'].map(
      (name) => [name, parseKernelLog(upstreamLog(name), { modules: true }).map((event) => event.payload.split('\n')[1])],
    ),
  );
  assert.deepEqual(reasons, {
    'badness.txt': ['Reason: Badness at drivers/char/tty_ldisc.c:738'],
    '2or3_digit_loglevel.txt': ['Reason: WARNING: CPU: 4 PID: 0 at net/sched/sch_generic.c:303 dev_watchdog+0xe8/0x158'],
    'loglevel_notimestamp.txt': ['Reason: WARNING: CPU: 1 PID: 796 at kernel/sched/core.c:2342 preempt_notifier_register+0x30/0x70'],
    'nologlevel_notimestamp.txt': ['Reason: BUG: unable to handle kernel '],
    'double_fault_DONE.txt': ['Reason: double fault: 0000 [1] SMP '],
    'kernel_bug_at.txt': ['Reason: kernel BUG at security/selinux/ss/ebitmap.h:88!'],
    sysctl_check1: ['Reason: sysctl table check failed: net/ath1/%parent  Sysctl already exists'],
    sysctl_check2: ['Reason: sysctl table check failed: net/netfilter/nf_conntrack_max .3.19.1 Missing strategy'],
  });
});

test('oops parser: a log without levels or timestamps keeps its frames (upstream took their leading space, and them)', () => {
  const [event] = parseKernelLog(upstreamLog('nologlevel_notimestamp.txt'), { modules: true });
  const frames = event?.payload.split('\n').filter((line) => line.startsWith('#'));
  assert.equal(frames?.length, 16);
  assert.equal(frames?.[0], '#1 ? vboxCallMapFolder - [vboxsf]');
  assert.equal(frames?.[15], '#16 ? syscall_call - [kernel]');
});

for (const [name, classification, severity] of [
  ['warning', 'org.clearlinux/kernel/warning', 2],
  ['null-pointer', 'org.clearlinux/kernel/bug', 4],
  ['soft-lockup', 'org.clearlinux/kernel/bug', 4],
  ['panic', 'org.clearlinux/kernel/panic', 4],
] as const) {
  test(`oops parser, today's format (${name}.txt): one record with exactly the payload in ${name}.payload`, () => {
    const events = parseKernelLog(modern(`${name}.txt`), { modules: true });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.payload, modern(`${name}.payload`));
    assert.equal(events[0]?.classification, classification);
    assert.equal(events[0]?.severity, severity);
  });
}

test('oops parser: /dev/kmsg records give the payload of the same trace in dmesg text, dated by the record time', () => {
  const [fromText] = parseKernelLog(modern('warning.txt'), { modules: true });
  const events = parseKernelLog(modern('warning.kmsg'), { modules: true, bootTimeMs: Date.UTC(2024, 0, 1) });
  assert.equal(events.length, 1, 'the dictionary lines and the WARNING a program wrote are not the kernel’s');
  assert.equal(events[0]?.payload, fromText?.payload);
  // Microseconds 8841112236 since boot.
  assert.equal(events[0]?.createdAt?.toISOString(), '2024-01-01T02:27:21.112Z');
});

test('oops parser: modules false leaves the Modules line out and nothing else', () => {
  const [withModules] = parseKernelLog(modern('warning.txt'), { modules: true });
  const [without] = parseKernelLog(modern('warning.txt'), { modules: false });
  const modulesLine = withModules?.payload.split('\n').find((line) => line.startsWith('Modules : '));
  assert.ok(modulesLine);
  assert.equal(without?.payload, withModules?.payload.replace(`${modulesLine}\n`, ''));
});

test('oops parser: a log without an oops gives no record', () => {
  const log = [
    '<6>[    0.000000] Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)',
    '<4>[    0.262263] Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.',
    '<6>[    0.309261] PCI: Using host bridge windows from ACPI; if necessary, use "pci=nocrs" and report a bug',
    '<4>[    1.121948] ACPI Warning: SystemIO range 0x000000000000F040-0x000000000000F05F conflicts with OpRegion',
    '<6>[    2.000001] Call Trace:',
    '<6>[    2.000002]  dump_stack_lvl+0x44/0x5c',
    '12,900,3000000,-;WARNING: CPU: 0 PID: 1 at a program pretending',
  ].join('\n');
  assert.deepEqual(parseKernelLog(log, { modules: true }), []);
  assert.deepEqual(parseKernelLog('', { modules: true }), []);
});

test('oops parser: an oops the log cuts short still gives a record with what it has', () => {
  const events = parseKernelLog(
    [
      '[   12.000000] kernel BUG at mm/slub.c:4321!',
      '[   12.000001] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI',
      '[   12.000002] CPU: 0 PID: 77 Comm: kworker/0:1 Not tainted 6.6.8 #1',
    ].join('\n'),
    { modules: true },
  );
  assert.deepEqual(events, [
    { classification: 'org.clearlinux/kernel/bug', severity: 4, payload: 'Crash Report:\nReason: kernel BUG at mm/slub.c:4321!\nKernel Version : 6.6.8 #1\nTainted : Not tainted\n' },
  ]);
});

test('oops parser: a payload over 8192 bytes loses whole frames from the end and says how many', () => {
  const frames = Array.from({ length: 300 }, (_unused, index) => `[  100.000100]  function_number_${index}+0x10/0x20 [some_module]`);
  const log = ['[  100.000000] WARNING: CPU: 1 PID: 9 at fs/inode.c:1 iput+0x1/0x2', '[  100.000001] Call Trace:', '[  100.000002]  <TASK>', ...frames, '[  100.000900]  </TASK>'].join('\n');
  const [event] = parseKernelLog(log, { modules: true });
  assert.ok(event);
  assert.ok(Buffer.byteLength(event.payload) <= 8192, `${Buffer.byteLength(event.payload)} bytes`);
  const lines = event.payload.split('\n');
  assert.equal(lines.at(-1), '');
  const kept = lines.filter((line) => line.startsWith('#'));
  assert.equal(lines.at(-2), `… ${300 - kept.length} more frames left out: a payload holds at most 8192 bytes`);
  assert.equal(kept.at(-1), `#${kept.length} function_number_${kept.length - 1} - [some_module]`);
  assert.ok(kept.length > 100 && kept.length < 300);
});

test('oops parser: a reason line too long for a payload is cut on a character boundary, visibly', () => {
  const [event] = parseKernelLog(`WARNING: ${'é'.repeat(5000)}\n`, { modules: true });
  assert.ok(event);
  const bytes = Buffer.from(event.payload, 'utf8');
  assert.ok(bytes.length <= 8192);
  assert.equal(bytes.toString('utf8'), event.payload, 'valid UTF-8');
  assert.ok(!event.payload.includes('\ufffd'));
  assert.ok(event.payload.endsWith('\n… 0 more frames left out: a payload holds at most 8192 bytes\n'), event.payload.slice(-80));
});

test('oops parser: control characters in a log line reach the payload as \\xNN text', () => {
  const [event] = parseKernelLog('BUG: bad\x07bell\n', { modules: true });
  assert.equal(event?.payload, 'Crash Report:\nReason: BUG: bad\\x07bell\n');
});

test("oops patterns: upstream's table in upstream's order, then today's wordings", () => {
  assert.deepEqual(
    OOPS_PATTERNS.map((pattern) => String(pattern.begins)),
    [
      'NETDEV WATCHDOG: ',
      'sysctl table check failed: ',
      'IRQ handler type mismatch for IRQ',
      '/^ALSA (.*): BUG(.*)/i',
      '/irq [0-9]+: nobody cared/i',
      'WARNING: ',
      'general protection fault: ',
      'BUG: unable to handle kernel ',
      'BUG:',
      'kernel BUG at',
      'general protection fault:',
      'do_IRQ: stack overflow:',
      'RTNL: assertion failed',
      'Eeek! page_mapcount(page) went negative!',
      'near stack overflow (cur:',
      'double fault',
      'Badness',
      'list_del corruption.',
      'list_add corruption.',
      'ACPI Error:',
      'Kernel panic - not syncing:',
      'BERT: Error records from previous boot:',
      'watchdog: BUG:',
      'general protection fault, ',
      'PANIC: double fault',
      'Unable to handle kernel ',
      'list_del corruption,',
      'list_add corruption,',
    ],
  );
  assert.deepEqual(oopsClassifications(), [
    'org.clearlinux/kernel/warning',
    'crash/kernel/bug',
    'crash/kernel/warning',
    'org.clearlinux/kernel/bug',
    'org.clearlinux/kernel/stackoverflow',
    'org.clearlinux/kernel/panic',
    'org.clearlinux/bert/debug',
  ]);
  assert.equal(oopsPattern('do_IRQ: stack overflow: 1234')?.severity, 4);
  assert.equal(oopsPattern('IRQ 5: nobody cared (try booting with the "irqpoll" option)')?.classification, 'crash/kernel/warning');
  assert.equal(oopsPattern('alsa sound/core/pcm.c:1: BUG: x')?.classification, 'crash/kernel/bug');
  assert.equal(oopsPattern(' WARNING: indented'), undefined);
});

test('oops parser: the BERT dump is sent as its lines', () => {
  const log = [
    '[    1.609112] BERT: Error records from previous boot:',
    '[    1.609113] [Hardware Error]: event severity: fatal',
    '[    1.609115] [Hardware Error]:  Error 0, type: fatal',
    '[    1.609116] [Hardware Error]:   section type: unknown, 81212a96-09ed-4996-9471-8d729c8e69ed',
    '[    1.609119] [Hardware Error]:   00000000: 00000001 00000000 00000000 01001002  ................',
    '[    1.700000] ACPI: Added _OSI(Module Device)',
  ].join('\n');
  assert.deepEqual(parseKernelLog(log, { modules: true }), [
    {
      classification: 'org.clearlinux/bert/debug',
      severity: 2,
      payload:
        'Crash Report:\nReason: BERT: Error records from previous boot:\n[Hardware Error]: event severity: fatal\n[Hardware Error]:  Error 0, type: fatal\n' +
        '[Hardware Error]:   section type: unknown, 81212a96-09ed-4996-9471-8d729c8e69ed\n[Hardware Error]:   00000000: 00000001 00000000 00000000 01001002  ................\n',
    },
  ]);
});
