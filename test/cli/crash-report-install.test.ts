/** `telem crash-report --install/--uninstall` on a temporary root: the sysctl drop-in, and never the running kernel's core_pattern. */
import assert from 'node:assert/strict';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { cliEntry } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const COREDUMP = '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h';

async function rootWithPattern(t: TestContext, pattern: string | null): Promise<string> {
  const root = await tempDir(t);
  if (pattern !== null) {
    await mkdir(path.join(root, 'proc/sys/kernel'), { recursive: true });
    await writeFile(path.join(root, 'proc/sys/kernel/core_pattern'), `${pattern}\n`);
  }
  return root;
}

const realPattern = () => readFile('/proc/sys/kernel/core_pattern', 'utf8');

test('telem crash-report --install: writes the drop-in with the earlier pattern noted, prints it and the sysctl command that applies it; the kernel is left alone', async (t) => {
  const before = await realPattern();
  const root = await rootWithPattern(t, 'core');
  const file = path.join(root, 'etc/sysctl.d/40-telem-crash.conf');
  const result = await runCli(['--root', root, 'crash-report', '--install', '--program', '/usr/bin/telem']);
  assert.deepEqual(result, {
    code: 0,
    stdout:
      `Wrote ${file}:\n  kernel.core_pattern=|/usr/bin/telem crash-report %P %s %e %E\n` +
      'The pattern it replaces is noted in the file: core\n' +
      `It takes effect at the next boot; to apply it now, run:\n  sysctl -p ${file}\n`,
    stderr: '',
  });
  assert.equal(
    await readFile(file, 'utf8'),
    '# Written by `telem crash-report --install`: the kernel pipes every core dump to telem, which\n' +
      "# reports the crash as the policy's collection.probes.crashes says (nothing while it is off).\n" +
      '# `telem crash-report --uninstall` removes this file.\n' +
      '# before: kernel.core_pattern=core\n' +
      'kernel.core_pattern=|/usr/bin/telem crash-report %P %s %e %E\n',
  );
  assert.equal(await readFile(path.join(root, 'proc/sys/kernel/core_pattern'), 'utf8'), 'core\n');
  assert.equal(await realPattern(), before);
});

test('telem crash-report --install without --program names this telem; without a readable core_pattern nothing is noted', async (t) => {
  const root = await rootWithPattern(t, null);
  const file = path.join(root, 'etc/sysctl.d/40-telem-crash.conf');
  const result = await runCli(['--root', root, 'crash-report', '--install']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `Wrote ${file}:\n  kernel.core_pattern=|${cliEntry} crash-report %P %s %e %E\nIt takes effect at the next boot; to apply it now, run:\n  sysctl -p ${file}\n`);
  assert.doesNotMatch(await readFile(file, 'utf8'), /# before:/);
});

test('telem crash-report --install: warns about a later drop-in that also sets core_pattern; --uninstall removes the file and prints how to put the noted pattern back, quoted', async (t) => {
  const root = await rootWithPattern(t, COREDUMP);
  await mkdir(path.join(root, 'usr/lib/sysctl.d'), { recursive: true });
  await writeFile(path.join(root, 'usr/lib/sysctl.d/50-coredump.conf'), `# systemd\nkernel.core_pattern=${COREDUMP}\n`);
  await writeFile(path.join(root, 'usr/lib/sysctl.d/30-early.conf'), `kernel.core_pattern=early\n`);
  await writeFile(path.join(root, 'usr/lib/sysctl.d/60-other.conf'), `# kernel.core_pattern=commented out\nvm.swappiness=10\n`);
  const installed = await runCli(['--root', root, 'crash-report', '--install', '--program', '/usr/bin/telem']);
  assert.equal(installed.code, 0);
  assert.equal(
    installed.stderr,
    'telem crash-report: warning: /usr/lib/sysctl.d/50-coredump.conf also sets kernel.core_pattern and is applied after /etc/sysctl.d/40-telem-crash.conf at boot, so its value wins there\n',
  );
  assert.match(installed.stdout, new RegExp(`\nThe pattern it replaces is noted in the file: ${COREDUMP.replace(/[|%]/g, '\\$&')}\n`));

  // Installing again once the kernel runs telem keeps the pattern from before the first install.
  await writeFile(path.join(root, 'proc/sys/kernel/core_pattern'), '|/usr/bin/telem crash-report %P %s %e %E\n');
  assert.equal((await runCli(['--root', root, 'crash-report', '--install', '--program', '/usr/bin/telem'])).code, 0);
  const file = path.join(root, 'etc/sysctl.d/40-telem-crash.conf');
  assert.match(await readFile(file, 'utf8'), new RegExp(`\n# before: kernel\\.core_pattern=${COREDUMP.replace(/[|%]/g, '\\$&')}\n`));

  const removed = await runCli(['--root', root, 'crash-report', '--uninstall']);
  assert.deepEqual(removed, {
    code: 0,
    stdout:
      `Removed ${file}.\n` +
      'The running kernel keeps its kernel.core_pattern until it is set again; to restore the one from before the install, run:\n' +
      `  sysctl -w 'kernel.core_pattern=${COREDUMP}'\n`,
    stderr: '',
  });
  await assert.rejects(access(file), { code: 'ENOENT' });

  assert.deepEqual(await runCli(['--root', root, 'crash-report', '--uninstall']), {
    code: 0,
    stdout:
      `Nothing to remove: ${file} does not exist.\n` +
      'The running kernel keeps its kernel.core_pattern until it is set again; to restore the one from before the install, run:\n' +
      '  sysctl -w kernel.core_pattern=core\n',
    stderr: '',
  });
});

test('telem crash-report --apply with --root is refused (it would change the running kernel), and nothing is written', async (t) => {
  const before = await realPattern();
  const root = await rootWithPattern(t, 'core');
  for (const action of ['--install', '--uninstall']) {
    assert.deepEqual(await runCli(['--root', root, 'crash-report', action, '--apply']), {
      code: 2,
      stdout: '',
      stderr: 'telem crash-report: --apply changes the running kernel, so it is refused with --root (or TELEM_ROOT)\n(run "telem crash-report --help" for usage)\n',
    });
  }
  await assert.rejects(access(path.join(root, 'etc/sysctl.d/40-telem-crash.conf')), { code: 'ENOENT' });
  assert.equal(await realPattern(), before);
});

test('telem crash-report --install: a program path the kernel cannot run, and options that do not go together, are usage errors', async (t) => {
  const root = await rootWithPattern(t, 'core');
  assert.deepEqual(await runCli(['--root', root, 'crash-report', '--install', '--program', 'bin/telem']), {
    code: 2,
    stdout: '',
    stderr: 'telem crash-report: the kernel needs an absolute path without spaces to run as the core handler, not "bin/telem"; name the telem executable with --program PATH\n',
  });
  const long = `/opt/${'x'.repeat(100)}/telem`;
  assert.deepEqual(await runCli(['--root', root, 'crash-report', '--install', '--program', long]), {
    code: 2,
    stdout: '',
    stderr: `telem crash-report: kernel.core_pattern holds at most 127 bytes; "|${long} crash-report %P %s %e %E" has 137; name a shorter path of the telem executable (a symbolic link such as /usr/bin/telem) with --program PATH\n`,
  });
  const usage = (message: string) => ({ code: 2, stdout: '', stderr: `telem crash-report: ${message}\n(run "telem crash-report --help" for usage)\n` });
  assert.deepEqual(await runCli(['--root', root, 'crash-report', '--install', '--uninstall']), usage('--install and --uninstall exclude each other'));
  assert.deepEqual(await runCli(['--root', root, 'crash-report', '--install', '1', '11', 'x', '!x']), usage('--install takes no arguments'));
  assert.deepEqual(await runCli(['--root', root, 'crash-report', '--apply', '1', '11', 'x', '!x']), usage('--apply goes with --install or --uninstall'));
  await assert.rejects(access(path.join(root, 'etc/sysctl.d/40-telem-crash.conf')), { code: 'ENOENT' });
});
