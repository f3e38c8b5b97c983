import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { moduleAt, readCoreNotes } from '../../../engine/probes/crashes/core-notes.js';
import { TelemError } from '../../../engine/errors/telem-error.js';
import { buildCrashingProgram, crash, CRASHER_NAME } from '../../helpers/crashing-program.js';
import { tempDir } from '../../helpers/tmp.js';

for (const by of ['kernel', 'gdb'] as const) {
  test(`core notes of a real crash (core written by ${by === 'kernel' ? 'the kernel, or gdb where it pipes cores' : 'gdb'}): pid, SIGSEGV, comm, the executable and its mapping`, async (t) => {
    const dir = await tempDir(t);
    const { program } = await buildCrashingProgram(dir);
    const crashed = await crash({ program, dir, ...(by === 'gdb' ? { by } : {}) });
    const notes = await readCoreNotes(crashed.core);
    assert.deepEqual({ pid: notes.pid, signal: notes.signal, name: notes.name, executable: notes.executable }, { pid: crashed.pid, signal: 11, name: CRASHER_NAME, executable: program });
    const main = notes.mappings.find((mapping) => mapping.file === program);
    assert.ok(main, 'the program is among the mapped files');
    assert.equal(moduleAt(notes, main.start), program);
    const libc = notes.mappings.find((mapping) => path.basename(mapping.file).startsWith('libc.so'));
    assert.equal(moduleAt(notes, libc!.start), path.basename(libc!.file));
    assert.equal(moduleAt(notes, 1n), null);
  });
}

test('core notes: a file that is not an ELF core is a core-invalid error saying so', async (t) => {
  const dir = await tempDir(t);
  const text = path.join(dir, 'not-a-core');
  await writeFile(text, 'hello, this is text and not an ELF file at all, long enough for a header.\n');
  await assert.rejects(readCoreNotes(text), (error: unknown) => {
    assert.ok(error instanceof TelemError);
    assert.equal(error.code, 'core-invalid');
    assert.equal(error.message, `${text} is not an ELF core file: no ELF header`);
    return true;
  });
  await assert.rejects(readCoreNotes('/bin/sh'), { code: 'core-invalid', message: '/bin/sh is not an ELF core file: an ELF file, but not a core dump' });
  await assert.rejects(readCoreNotes(path.join(dir, 'missing')), { code: 'core-invalid', message: `cannot read the core file ${path.join(dir, 'missing')}: ENOENT` });
});
