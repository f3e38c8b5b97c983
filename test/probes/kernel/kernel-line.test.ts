import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelLineSplitter, dmesgText, kernelLines } from '../../../engine/probes/kernel/kernel-line.js';
import { parseKernelLog } from '../../../engine/probes/kernel/oops-parser.js';
import { readCpuLine } from '../../../engine/probes/kernel/oops-report.js';
import { parseStackFrame } from '../../../engine/probes/kernel/stack-frame.js';
import { parseKmsgRecord, unescapeKmsg } from '../../../engine/probes/kernel/kmsg-record.js';

test('kernel line: level, timestamp and one space come off a dmesg line, and nothing else', () => {
  assert.equal(dmesgText('<4>[ 1234.567890] WARNING: CPU: 0'), 'WARNING: CPU: 0');
  assert.equal(dmesgText('<30>[1834786.435549]  ? __warn+0x7d/0xc0'), ' ? __warn+0x7d/0xc0');
  assert.equal(dmesgText('<6>[\t68764.975944]Call Trace:'), 'Call Trace:');
  assert.equal(dmesgText('[    0.000000][    T0] BUG: x'), 'BUG: x');
  assert.equal(dmesgText('[Mon Oct  2 10:11:12 2023] BUG: x'), 'BUG: x');
  assert.equal(dmesgText('[  +0.000002] BUG: x'), 'BUG: x');
  assert.equal(dmesgText('BUG: x'), 'BUG: x');
  assert.equal(dmesgText(' dump_stack+0x19/0x1b'), ' dump_stack+0x19/0x1b', 'a bare line keeps its leading space');
  assert.equal(dmesgText('[Hardware Error]: event severity: fatal'), '[Hardware Error]: event severity: fatal', 'a bracket that is no timestamp stays');
  assert.equal(dmesgText('<TASK>'), '<TASK>', 'a section marker is no level');
});

test('kernel line: a kmsg record carries its sequence number and time to each of its lines', () => {
  assert.deepEqual(parseKmsgRecord('4,1021,8841112236,-,caller=T1419;WARNING: x'), { priority: 4, seq: 1021, usec: 8841112236, flags: '-', text: 'WARNING: x' });
  assert.deepEqual(kernelLines('6,7,100,-;one\\x0atwo\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:1f.3\n4,8,200,c; frame+0x1/0x2\n'), [
    { text: 'one', seq: 7, usec: 100 },
    { text: 'two', seq: 7, usec: 100 },
    { text: ' frame+0x1/0x2', seq: 8, usec: 200 },
  ]);
});

test("kernel line: records programs wrote to /dev/kmsg (facility 1 and up) are not the kernel's", () => {
  assert.deepEqual(kernelLines('12,9,300,-;WARNING: written by logger\n14,10,301,-;BUG: too\n0,11,302,-;kernel\n'), [{ text: 'kernel', seq: 11, usec: 302 }]);
});

test('kernel line: \\xNN escapes come back as the bytes they stood for, UTF-8 included', () => {
  assert.equal(unescapeKmsg('a\\x5cb\\x09c'), 'a\\b\tc');
  assert.equal(unescapeKmsg('caf\\xc3\\xa9 déjà'), 'café déjà');
  assert.equal(unescapeKmsg('no escapes'), 'no escapes');
  assert.equal(unescapeKmsg('\\xzz stays'), '\\xzz stays');
});

test('kernel line: text arriving in pieces is split at newlines only, the rest kept for the next piece', () => {
  const splitter = new KernelLineSplitter();
  assert.deepEqual(splitter.push('4,1,10,-;WARN'), []);
  assert.deepEqual(splitter.push('ING: x\n4,2,'), [{ text: 'WARNING: x', seq: 1, usec: 10 }]);
  assert.deepEqual(splitter.push('20,-;y\r\n'), [{ text: 'y', seq: 2, usec: 20 }]);
  assert.deepEqual(splitter.push('[ 1.0] tail'), []);
  assert.deepEqual(splitter.end(), [{ text: 'tail' }]);
  assert.deepEqual(splitter.end(), []);
});

test('kernel line: a line starting with a space is a frame in dmesg text, a dictionary entry right after a kmsg record', () => {
  assert.equal(parseKernelLog('BUG: x\nCall Trace:\n f+0x1/0x2\n', { modules: true })[0]?.payload, 'Crash Report:\nReason: BUG: x\nBacktrace :\n#1 f - [kernel]\n');
  assert.equal(parseKernelLog('4,1,1,-;BUG: x\n4,2,1,-;Call Trace:\n SUBSYSTEM=f+0x1/0x2\n', { modules: true })[0]?.payload, 'Crash Report:\nReason: BUG: x\n');
});

test('stack frame: every form kernels printed, module or kernel, "? " kept, a bare address as ???', () => {
  const frames = [
    ' [<ffffffffa1002128>] do_one_initcall+0xb8/0x1e0',
    ' [<ffffffff8118784a>] ? __vunmap+0x9a/0x100',
    ' <IRQ>  [<ffffffff816606a8>] dump_stack+0x19/0x1b',
    ' [warn_on_slowpath+71/115] warn_on_slowpath+0x47/0x73',
    ' do_one_initcall+0xb8/0x1e0',
    ' ? fat_detach+0x27/0xd0 [fat]',
    ' foo_work+0x12/0x40 [foo 3f9c1e2ab04d5c6e7f8091a2b3c4d5e6f7081920]',
    ' [<00007fe8ccf1339c>] 0x7fe8ccf1339c',
    ' ? 0xffffffffc0a01000',
    ' do_ipv6_setsockopt.isra.6+0xab8/0xf20 [ipv6]',
  ].map((line) => parseStackFrame(line));
  assert.deepEqual(frames, [
    { function: 'do_one_initcall', module: 'kernel' },
    { function: '? __vunmap', module: 'kernel' },
    { function: 'dump_stack', module: 'kernel' },
    { function: 'warn_on_slowpath', module: 'kernel' },
    { function: 'do_one_initcall', module: 'kernel' },
    { function: '? fat_detach', module: 'fat' },
    { function: 'foo_work', module: 'foo' },
    { function: '???', module: 'kernel' },
    { function: '? ???', module: 'kernel' },
    { function: 'do_ipv6_setsockopt.isra.6', module: 'ipv6' },
  ]);
  for (const line of [' =======================', ' <TASK>', ' </TASK>', ' ffff8801c4b49e88 ffffffffa0646487 ffff8801558eada8', ' sunrpc ipmi_msghandler ext4', '']) {
    assert.equal(parseStackFrame(line), undefined, line);
  }
});

test('cpu line: release and the rest of the line; taint flags as printed, fixed width, less the space before the release', () => {
  assert.deepEqual(readCpuLine('CPU: 2 PID: 0 Comm: swapper/2 Not tainted  3.10.4-100.fc18.x86_64 #1'), { kernelVersion: '3.10.4-100.fc18.x86_64 #1', tainted: 'Not tainted' });
  assert.deepEqual(readCpuLine('CPU: 1 PID: 796 Comm: EMT Tainted: G        W  OE   4.2.0-rc2-satori #1'), { kernelVersion: '4.2.0-rc2-satori #1', tainted: 'G        W  OE  ' });
  assert.deepEqual(readCpuLine('CPU: 3 UID: 0 PID: 123 Comm: x Kdump: loaded Tainted: G W 6.12.0 #1 Debian 6.12.1-1'), { kernelVersion: '6.12.0 #1 Debian 6.12.1-1', tainted: 'G W' });
  assert.deepEqual(readCpuLine('Pid: 2577, comm: setroubleshootd Not tainted (2.6.32.26-175.fc12.i686.PAE #1) XPS M1330   '), {
    kernelVersion: '(2.6.32.26-175.fc12.i686.PAE #1) XPS M1330',
    tainted: 'Not tainted',
  });
  assert.deepEqual(readCpuLine('CPU: Physical Processor ID: 0'), {});
});
