import assert from 'node:assert/strict';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { describeMachineId, MachineIdSource, readStaticMachineId } from '../../engine/consent/machine-id.js';
import { tempDir } from '../helpers/tmp.js';

const DAY = 86_400_000;
const ROTATE = 3 * DAY;

function idFile(root: string): string {
  return path.join(root, 'var/lib/telemetry/machine_id');
}

test('MachineIdSource: the first id is 32 lowercase hex, saved without newline, and reused', async (t) => {
  const root = await tempDir(t);
  const source = new MachineIdSource({ root, rotateEveryMs: ROTATE });
  const id = source.current();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(await readFile(idFile(root), 'utf8'), id);
  assert.equal(source.current(), id);
  assert.equal(new MachineIdSource({ root, rotateEveryMs: ROTATE }).current(), id, 'a restarted agent keeps the id');
});

test('MachineIdSource: an id file older than rotate_every is replaced by a new id', async (t) => {
  const root = await tempDir(t);
  const old = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  await mkdir(path.dirname(idFile(root)), { recursive: true });
  await writeFile(idFile(root), old);
  const now = Date.now();
  await utimes(idFile(root), new Date(now - 2 * DAY), new Date(now - 2 * DAY));
  let clock = now;
  const source = new MachineIdSource({ root, rotateEveryMs: ROTATE, now: () => clock });
  assert.equal(source.current(), old, 'two days old: kept');
  clock = now + DAY + 1000;
  const rotated = source.current();
  assert.notEqual(rotated, old, 'past three days: rotated without a restart');
  assert.match(rotated, /^[0-9a-f]{32}$/);
  assert.equal(await readFile(idFile(root), 'utf8'), rotated);
});

test('MachineIdSource: a damaged id file is replaced', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.dirname(idFile(root)), { recursive: true });
  await writeFile(idFile(root), 'not an id');
  const id = new MachineIdSource({ root, rotateEveryMs: ROTATE }).current();
  assert.match(id, /^[0-9a-f]{32}$/);
});

test('MachineIdSource: the static id wins, read as upstream (first 32 bytes, up to the first newline), never rotated', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.join(root, 'etc/telemetrics'), { recursive: true });
  await writeFile(path.join(root, 'etc/telemetrics/opt-in-static-machine-id'), 'my-static-machine-id-0123456789abcdef\n');
  let clock = Date.now();
  const source = new MachineIdSource({ root, rotateEveryMs: ROTATE, now: () => clock });
  assert.equal(source.current(), 'my-static-machine-id-0123456789a');
  clock += 10 * DAY;
  assert.equal(source.current(), 'my-static-machine-id-0123456789a');
  await assert.rejects(stat(idFile(root)), { code: 'ENOENT' });
});

test('readStaticMachineId: a short id stops at the newline; an empty file is ignored', async (t) => {
  const root = await tempDir(t);
  const file = path.join(root, 'etc/telemetrics/opt-in-static-machine-id');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'fleet-42\nrest');
  assert.equal(await readStaticMachineId({ root }), 'fleet-42');
  await writeFile(file, '');
  assert.equal(await readStaticMachineId({ root }), null);
});

test('describeMachineId: reports none before the agent assigned one, then the file id and its date', async (t) => {
  const root = await tempDir(t);
  assert.equal((await describeMachineId({ root })).source, 'none');
  const id = new MachineIdSource({ root, rotateEveryMs: ROTATE }).current();
  const info = await describeMachineId({ root });
  assert.equal(info.id, id);
  assert.equal(info.source, 'file');
  assert.ok(info.assignedAt instanceof Date);
});
