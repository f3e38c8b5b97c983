/** The crashing thread's frames, from crashprobe and kernel-oops payloads, and the text form records.frames holds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_FRAMES, crashingThreadFrames, framesText, parseFramesText } from '../../../engine/collector/crash/frames.js';

const CRASHPROBE =
  'Process: /usr/bin/app\nPID: 42\nSignal: 6\n\n' +
  'Backtrace (TID 42):\n#0 raise() - [/usr/lib64/libc.so.6]\n#1 ??? - [/usr/lib64/libc.so.6]\n#2 do_work() - [/usr/bin/app] - /src/app.c:10\n#3 (no symbols)\n\n' +
  'Backtrace (TID 43):\n#0 poll() - [/usr/lib64/libc.so.6]\n';

test('frames: a crashprobe payload gives the first thread listed (the crashing one), functions without "()" or source positions, unknown ones as "??"', () => {
  assert.deepEqual(crashingThreadFrames(CRASHPROBE), [
    { function: 'raise', module: '/usr/lib64/libc.so.6', unreliable: false },
    { function: '??', module: '/usr/lib64/libc.so.6', unreliable: false },
    { function: 'do_work', module: '/usr/bin/app', unreliable: false },
    { function: '??', module: null, unreliable: false },
  ]);
});

test('frames: a kernel oops payload keeps the "? " mark as unreliable and drops "+offset/size"', () => {
  const payload = 'Crash Report:\nReason: WARNING: at x\nBacktrace :\n#1 dump_stack - [kernel]\n#2 ? __queue_work+0x1a/0x30 - [kernel]\n#3 dev_watchdog - [e1000e]\n';
  assert.deepEqual(crashingThreadFrames(payload), [
    { function: 'dump_stack', module: 'kernel', unreliable: false },
    { function: '__queue_work', module: 'kernel', unreliable: true },
    { function: 'dev_watchdog', module: 'e1000e', unreliable: false },
  ]);
});

test(`frames: at most ${MAX_FRAMES} are kept, and a payload without frame lines has none`, () => {
  const deep = `Backtrace (TID 1):\n${Array.from({ length: 40 }, (_, index) => `#${index} f${index}() - [/bin/x]`).join('\n')}\n`;
  const frames = crashingThreadFrames(deep);
  assert.equal(frames.length, MAX_FRAMES);
  assert.equal(frames.at(-1)?.function, `f${MAX_FRAMES - 1}`);
  assert.deepEqual(crashingThreadFrames('hello\nissue #42 is fixed\n'), []);
  assert.equal(framesText([]), null);
  assert.deepEqual(parseFramesText(null), []);
});

test('frames: the stored text is one frame a line, in the payload layout, and reads back to the same frames', () => {
  const frames = crashingThreadFrames(CRASHPROBE);
  assert.equal(framesText(frames), 'raise - [/usr/lib64/libc.so.6]\n?? - [/usr/lib64/libc.so.6]\ndo_work - [/usr/bin/app]\n??');
  assert.deepEqual(parseFramesText(framesText(frames)), frames);
  const kernel = crashingThreadFrames('Backtrace :\n#1 ? set_fail - [kernel]\n');
  assert.equal(framesText(kernel), '? set_fail - [kernel]');
  assert.deepEqual(parseFramesText(framesText(kernel)), kernel);
});

test('frames: whatever the frame lines hold, the stored text reads back to the frames it was made from (a regroup computes what ingest did)', () => {
  const piece = fc.constantFrom('f', '?', '??', '? ', '()', ' - [', ']', '[', ' ', '\t', '+0x1a/0x30', '/usr/lib/x.so', '\r', 'a'.repeat(150), '(no symbols)', ' - ');
  const line = fc.array(piece, { maxLength: 8 }).map((parts) => `#${parts.length} ${parts.join('')}`);
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
      const frames = crashingThreadFrames(`Backtrace (TID 1):\n${lines.join('\n')}\n`);
      assert.deepEqual(parseFramesText(framesText(frames)), frames);
    }),
    { numRuns: 2000 },
  );
});
