import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashPayload } from '../../../engine/probes/crashes/payload.js';

const frames = [
  { symbol: 'crash_here', module: '/usr/bin/prog', source: { file: '/src/prog.c', line: 5 } },
  { symbol: null, module: 'libc.so.6', source: null },
  { symbol: 'x', module: null, source: null },
  { symbol: null, module: null, source: null },
];

test("crash payload: upstream's header and per-thread frame lines, symbol/module/source present or not", () => {
  assert.equal(
    crashPayload({
      process: '/usr/bin/prog',
      pid: 1234,
      signal: 11,
      error: null,
      threads: [
        { tid: 1234, frames },
        { tid: 1235, frames: frames.slice(1, 2) },
      ],
      maxFrames: 64,
    }),
    'Process: /usr/bin/prog\nPID: 1234\nSignal: 11\n' +
      '\nBacktrace (TID 1234):\n#0 crash_here() - [/usr/bin/prog] - /src/prog.c:5\n#1 ??? - [libc.so.6]\n#2 (no symbols)\n#3 (no symbols)\n' +
      '\nBacktrace (TID 1235):\n#0 ??? - [libc.so.6]\n',
  );
});

test('crash payload: no Signal line without a signal; the Error line after the header, before the partial backtrace', () => {
  assert.equal(
    crashPayload({ process: '/usr/bin/prog', pid: 7, signal: null, error: 'eu-stack was killed\nat the deadline', threads: [{ tid: 7, frames: frames.slice(0, 1) }], maxFrames: 64 }),
    'Process: /usr/bin/prog\nPID: 7\nError: eu-stack was killed at the deadline\n\nBacktrace (TID 7):\n#0 crash_here() - [/usr/bin/prog] - /src/prog.c:5\n',
  );
});

test('crash payload: max_frames frames a thread', () => {
  const payload = crashPayload({
    process: '/p',
    pid: 1,
    signal: 6,
    error: null,
    threads: [
      { tid: 1, frames },
      { tid: 2, frames },
    ],
    maxFrames: 2,
  });
  assert.equal(
    payload,
    'Process: /p\nPID: 1\nSignal: 6\n\nBacktrace (TID 1):\n#0 crash_here() - [/usr/bin/prog] - /src/prog.c:5\n#1 ??? - [libc.so.6]\n\nBacktrace (TID 2):\n#0 crash_here() - [/usr/bin/prog] - /src/prog.c:5\n#1 ??? - [libc.so.6]\n',
  );
});

test('crash payload: at most 8192 bytes, cut after a whole line with "...\\n"; the crashing (first) thread is kept', () => {
  const many = Array.from({ length: 64 }, (_, index) => ({
    symbol: `function_with_a_rather_long_name_${index}`,
    module: '/usr/lib64/libsomething-long.so.1',
    source: { file: '/builddir/src/some/deep/file.c', line: index },
  }));
  const threads = Array.from({ length: 20 }, (_, index) => ({ tid: 100 + index, frames: many }));
  const payload = crashPayload({ process: '/usr/bin/prog', pid: 100, signal: 11, error: null, threads, maxFrames: 64 });
  assert.ok(Buffer.byteLength(payload) <= 8192, `${Buffer.byteLength(payload)} bytes`);
  assert.ok(Buffer.byteLength(payload) > 8000);
  assert.match(payload, /^Process: \/usr\/bin\/prog\nPID: 100\nSignal: 11\n\nBacktrace \(TID 100\):\n#0 function_with_a_rather_long_name_0\(\) - /);
  assert.match(payload, /\n#\d+ function_with_a_rather_long_name_\d+\(\) - \[\/usr\/lib64\/libsomething-long\.so\.1\] - \/builddir\/src\/some\/deep\/file\.c:\d+\n\.\.\.\n$/);
});

test('crash payload: control characters in names become "?" (a record payload is text); a path over the limit is cut on a character', () => {
  assert.equal(
    crashPayload({ process: '/p\u0001x', pid: 1, signal: null, error: null, threads: [{ tid: 1, frames: [{ symbol: 'f\u001b[0m', module: 'm', source: null }] }], maxFrames: 64 }),
    'Process: /p?x\nPID: 1\n\nBacktrace (TID 1):\n#0 f?[0m() - [m]\n',
  );
  const long = `/${'é'.repeat(5000)}`;
  const payload = crashPayload({ process: long, pid: 1, signal: null, error: null, threads: [], maxFrames: 64 });
  assert.ok(Buffer.byteLength(payload) <= 8192);
  assert.match(payload, /^Process: \/é+\.\.\.\n$/);
});
