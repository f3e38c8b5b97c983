/** The crash view's grouping key: the first backtrace frame, from crashprobe and kernel-oops payloads. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { firstFrame } from '../../../engine/collector/crash/first-frame.js';
import { fromRoot } from '../../helpers/paths.js';
import { skipUnlessRequired } from '../../helpers/skip.js';

// A copy of shared/conformance/kernel-oops, so the suite never depends on a folder outside the repository.
const OOPS = fromRoot('test', 'fixtures', 'conformance', 'kernel-oops', 'expected.json');

test('first frame: a crashprobe payload groups by function and module, without the source position', () => {
  const payload = 'Process: /usr/bin/foo\nPID: 42\nSignal: 11\n\nBacktrace (TID 42):\n#0 crashing_func() - [/usr/lib64/libfoo.so.1] - foo.c:42\n#1 main() - [/usr/bin/foo] - main.c:7\n';
  assert.equal(firstFrame(payload), 'crashing_func() - [/usr/lib64/libfoo.so.1]');
});

test('first frame: payloads without frames have none', () => {
  assert.equal(firstFrame('hello\n'), null);
  assert.equal(firstFrame('issue #42 is fixed'), null);
});

test(
  'first frame: kernel-oops payloads (upstream parser test vectors) group by their first call-trace function',
  { skip: skipUnlessRequired(existsSync(OOPS) ? false : `${OOPS} is missing`) },
  () => {
    const vectors = JSON.parse(readFileSync(OOPS, 'utf8')) as { input: string; reason: string; payload_contains: string[] }[];
    let checked = 0;
    for (const vector of vectors) {
      const frames = vector.payload_contains.filter((line) => /^#\d+ /.test(line));
      if (frames.length === 0) continue;
      // The probe's payload layout (kernel-oops/README.md): headers, then "#N [? ]function - [kernel]" lines.
      const payload = `Crash Report:\nReason: ${vector.reason}\nBacktrace :\n${frames.map((frame) => `${frame} - [kernel]`).join('\n')}\n`;
      const expected = `${(frames[0] as string).replace(/^#\d+ (\? )?/, '')} - [kernel]`;
      assert.equal(firstFrame(payload), expected, vector.input);
      checked += 1;
    }
    assert.ok(checked >= 3, `${checked} vectors with frames`);
  },
);
