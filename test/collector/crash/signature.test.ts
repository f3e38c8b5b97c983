/** Crash signatures: the first three crashing-thread functions the skip list leaves in, joined by " | ". */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { crashingThreadFrames } from '../../../engine/collector/crash/frames.js';
import { frameSignature, payloadSignature } from '../../../engine/collector/crash/signature.js';
import { DEFAULT_SKIP_RULES, skipList } from '../../../engine/collector/crash/skip-rules.js';
import { fromRoot } from '../../helpers/paths.js';
import { KERNEL_BUG, KERNEL_WARNING, LIBC, crashprobePayload } from '../crash-payloads.js';
import { skipUnlessRequired } from '../../helpers/skip.js';

const OOPS = fromRoot('test', 'fixtures', 'conformance', 'kernel-oops', 'expected.json');
const DEFAULTS = skipList(DEFAULT_SKIP_RULES.map((rule) => rule.pattern));

test('signature: three crashes ending in raise and abort in libc get three signatures from the frames below them', () => {
  const signatures = ['parse_config', 'load_plugin', 'render_frame'].map((culprit) =>
    payloadSignature(
      crashprobePayload([`raise() - ${LIBC}`, `abort() - ${LIBC}`, `${culprit}() - [/usr/bin/app] - app.c:10`, 'main() - [/usr/bin/app]', `__libc_start_main() - ${LIBC}`]),
      DEFAULTS,
    ),
  );
  assert.deepEqual(signatures, ['parse_config | main | __libc_start_main', 'load_plugin | main | __libc_start_main', 'render_frame | main | __libc_start_main']);
});

test('signature: skipped frames are left out wherever they are; the other thread is not read', () => {
  const payload = crashprobePayload([
    `__memmove_avx_unaligned_erms() - ${LIBC}`,
    'copy_name() - [/usr/bin/app]',
    `__strlen_avx2() - ${LIBC}`,
    '??? - [/usr/bin/app]',
    'main() - [/usr/bin/app]',
  ]);
  assert.equal(payloadSignature(payload, DEFAULTS), 'copy_name | main');
});

test('signature: with every frame skipped it is the first frame; without frames there is none', () => {
  assert.equal(payloadSignature(crashprobePayload([`raise() - ${LIBC}`, `abort() - ${LIBC}`]), DEFAULTS), 'raise');
  assert.equal(payloadSignature('Process: /usr/bin/app\nCrash from third party\n', DEFAULTS), null);
  assert.equal(frameSignature([], DEFAULTS), null);
});

test('signature: a kernel WARNING and a kernel BUG skip the WARN and oops machinery and unreliable frames', () => {
  assert.equal(payloadSignature(KERNEL_WARNING, DEFAULTS), 'dev_watchdog | call_timer_fn | run_timer_softirq');
  assert.equal(payloadSignature(KERNEL_BUG, DEFAULTS), 'mmput | exit_mm | do_exit');
});

test('signature: the skip list decides; adding a frame of the program moves the signature down the stack', () => {
  const payload = crashprobePayload([`raise() - ${LIBC}`, 'do_work() - [/usr/bin/app]', 'run_job() - [/usr/bin/app]', 'main() - [/usr/bin/app]']);
  assert.equal(payloadSignature(payload, DEFAULTS), 'do_work | run_job | main');
  assert.equal(payloadSignature(payload, skipList([...DEFAULT_SKIP_RULES.map((rule) => rule.pattern), 'do_work'])), 'run_job | main');
  assert.equal(payloadSignature(payload, skipList([])), 'raise | do_work | run_job');
  assert.equal(payloadSignature(payload, skipList(['[libc.so.6]', '[app]'])), 'raise', 'every frame skipped: the first one');
});

test(
  'signature: every kernel-oops vector with frames (upstream parser test vectors) gets one that names no skipped frame, unless every frame is skipped',
  { skip: skipUnlessRequired(existsSync(OOPS) ? false : `${OOPS} is missing`) },
  () => {
    const vectors = JSON.parse(readFileSync(OOPS, 'utf8')) as { input: string; payload_contains: string[] }[];
    const signatures: Record<string, string | null> = {};
    for (const vector of vectors) {
      const frames = vector.payload_contains.filter((line) => /^#\d+ /.test(line));
      if (frames.length === 0) continue;
      const payload = `Crash Report:\nBacktrace :\n${frames.map((frame) => `${frame} - [kernel]`).join('\n')}\n`;
      signatures[vector.input] = payloadSignature(payload, DEFAULTS);
      const parsed = crashingThreadFrames(payload);
      const kept = parsed.filter((frame) => !DEFAULTS.skips(frame));
      assert.equal(signatures[vector.input], (kept.length ? kept.slice(0, 3) : parsed.slice(0, 1)).map((frame) => frame.function).join(' | '), vector.input);
    }
    assert.equal(signatures['watchdog.txt'], 'dev_watchdog | call_timer_fn | run_timer_softirq');
    assert.equal(signatures['warn_on.txt'], signatures['watchdog.txt'], 'two captures of one NETDEV watchdog warning: one group');
    assert.equal(signatures['ALSA.txt'], 'start_kernel', "an older kernel's warn_on_slowpath is skipped too");
    assert.equal(signatures['warning.txt'], 'preempt_notifier_register | VBoxHost_RTThreadCtxHooksRegister');
    assert.equal(signatures['RTNL.txt'], 'dump_stack', 'every frame unreliable: the first one');
  },
);
