/** The skip list's patterns: names, "*" globs, modules, unreliable frames; the default list; the check of a list an operator gives. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSkipRules } from '../../../engine/collector/crash/check-rules.js';
import type { Frame } from '../../../engine/collector/crash/frames.js';
import { DEFAULT_SKIP_RULES, MAX_RULES, parseSkipPattern, skipList, starMatches } from '../../../engine/collector/crash/skip-rules.js';
import { TelemError } from '../../../engine/errors/telem-error.js';

const frame = (fn: string, module: string | null = '/usr/lib64/libc.so.6', unreliable = false): Frame => ({ function: fn, module, unreliable });

test('skip rules: a pattern is a function, a "*" glob, either with a [module], a module alone, or "? " for unreliable frames only', () => {
  assert.deepEqual(parseSkipPattern('raise'), { unreliableOnly: false, function: 'raise', module: null });
  assert.deepEqual(parseSkipPattern('__memcpy_*'), { unreliableOnly: false, function: '__memcpy_*', module: null });
  assert.deepEqual(parseSkipPattern('raise [libc.so.6]'), { unreliableOnly: false, function: 'raise', module: 'libc.so.6' });
  assert.deepEqual(parseSkipPattern('[libfoo.so*]'), { unreliableOnly: false, function: null, module: 'libfoo.so*' });
  assert.deepEqual(parseSkipPattern('? *'), { unreliableOnly: true, function: '*', module: null });
  assert.deepEqual(parseSkipPattern('??'), { unreliableOnly: false, function: '??', module: null }, '"??" is a name, not a prefix');
  assert.deepEqual(parseSkipPattern('operator new(unsigned long)'), { unreliableOnly: false, function: 'operator new(unsigned long)', module: null });
});

test('skip rules: what is not a pattern says why', () => {
  const problems: [string, string][] = [
    ['', 'is empty'],
    [' raise', 'starts or ends with a space'],
    ['raise\n', 'has a control character (a line break or tab)'],
    ['x'.repeat(201), 'is longer than 200 characters'],
    ['raise]', 'has a "]" without a "[" before it'],
    ['raise [libc.so.6', 'has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")'],
    ['raise [a] [b]', 'has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")'],
    ['raise[libc.so.6]', 'needs a space between the function and its "[module]"'],
    ['raise []', 'has an empty module "[]"'],
  ];
  for (const [pattern, problem] of problems) assert.deepEqual(parseSkipPattern(pattern), { problem }, JSON.stringify(pattern));
});

test('skip rules: "*" matches any run of characters and nothing else is special', () => {
  assert.ok(starMatches('__memcpy_*', '__memcpy_avx_unaligned_erms'));
  assert.ok(!starMatches('__memcpy_*', 'memcpy'));
  assert.ok(starMatches('g_assertion_message*', 'g_assertion_message_expr'));
  assert.ok(starMatches('*_slowpath_*', 'warn_slowpath_fmt'));
  assert.ok(!starMatches('*_slowpath_*', 'slowpath'));
  assert.ok(starMatches('a*b*c', 'abc') && starMatches('a*b*c', 'aXbYbZc') && !starMatches('a*b*c', 'acb'));
  assert.ok(!starMatches('??', 'ab'), '"?" is a character');
  assert.ok(!starMatches('raise', 'raise2'));
});

test('skip rules: a module matches the frame module or its file name; a rule without one matches any module', () => {
  const list = skipList(['raise [libc.so.6]', '[libfoo*]', 'abort', '? *']);
  assert.ok(list.skips(frame('raise')));
  assert.ok(list.skips(frame('raise', 'libc.so.6')));
  assert.ok(!list.skips(frame('raise', '/usr/bin/app')), 'a raise of its own');
  assert.ok(!list.skips(frame('raise', null)));
  assert.ok(list.skips(frame('anything', '/usr/lib64/libfoo.so.1')));
  assert.ok(list.skips(frame('abort', 'kernel')));
  assert.ok(list.skips(frame('dev_watchdog', 'kernel', true)), 'unreliable');
  assert.ok(!list.skips(frame('dev_watchdog', 'kernel')));
  assert.deepEqual(list.problems, []);
  // Patterns a database somehow holds that are not patterns are left out of the list, and named.
  assert.deepEqual(skipList(['raise', 'bad [']).problems, [{ pattern: 'bad [', problem: 'has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")' }]);
});

test('skip rules: the default list skips how libc, GLib and the kernel report a failure, and unreliable frames', () => {
  const list = skipList(DEFAULT_SKIP_RULES.map((rule) => rule.pattern));
  assert.deepEqual(list.problems, []);
  const skipped = [
    'raise',
    'abort',
    '__assert_fail',
    '__assert_fail_base',
    '__GI_raise',
    '__GI_abort',
    '__pthread_kill_implementation',
    'pthread_kill',
    '__libc_message',
    '__fortify_fail',
    '__stack_chk_fail',
    'memcpy',
    '__memcpy_avx_unaligned_erms',
    'memmove',
    'memset',
    'strlen',
    '__strlen_avx2',
    'strcmp',
    'malloc_printerr',
    '_int_free',
    'free',
    'g_assertion_message_expr',
    '??',
    'dump_stack',
    'dump_stack_lvl',
    'warn_slowpath_common',
    'warn_slowpath_fmt',
    'warn_slowpath_null',
    'warn_on_slowpath',
    '__warn',
    'report_bug',
    'handle_bug',
    'exc_invalid_op',
    'asm_exc_invalid_op',
    'do_error_trap',
    'panic',
    'show_stack',
    '__die',
    'oops_end',
    'no_context',
    'page_fault_oops',
    'exc_page_fault',
    'asm_exc_page_fault',
  ];
  for (const name of skipped) assert.ok(list.skips(frame(name)), name);
  assert.ok(list.skips(frame('dev_watchdog', 'kernel', true)));
  for (const name of ['main', 'do_work', 'dev_watchdog', 'freeze', 'g_main_loop_run', 'memcpy_from_user']) assert.ok(!list.skips(frame(name)), name);
  for (const rule of DEFAULT_SKIP_RULES) assert.ok(rule.note, `${rule.pattern} says why`);
});

test('skip rules: a list given to the collector is checked, each problem a crash-rule-invalid TelemError naming the rule', () => {
  const refusal = (rules: Parameters<typeof checkSkipRules>[0]) => {
    try {
      checkSkipRules(rules);
    } catch (error) {
      assert.ok(error instanceof TelemError && error.code === 'crash-rule-invalid', String(error));
      return error.message;
    }
    return null;
  };
  assert.equal(refusal([{ pattern: 'raise' }, { pattern: 'do_work', note: 'ours' }]), null);
  assert.equal(refusal([]), null, 'an empty list skips nothing');
  assert.equal(
    refusal([{ pattern: 'raise' }, { pattern: 'raise [' }]),
    'rules[1].pattern "raise [" is not a skip rule: it has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")',
  );
  assert.equal(refusal([{ pattern: 'raise' }, { pattern: 'abort' }, { pattern: 'raise' }]), 'rules[2].pattern "raise" is listed twice (rules[0] too)');
  assert.equal(refusal([{ pattern: 'raise', note: 'x'.repeat(501) }]), 'rules[0].note is longer than 500 characters');
  assert.equal(refusal(Array.from({ length: MAX_RULES + 1 }, (_, index) => ({ pattern: `f${index}` }))), `at most ${MAX_RULES} rules (this list has ${MAX_RULES + 1})`);
});
