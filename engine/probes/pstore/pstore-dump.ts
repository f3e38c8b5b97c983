/**
 * What the pstore file system holds and how its files make up dumps. The kernel writes a dump of
 * its log when it oopses or panics (kmsg_dump), split into parts when the backend's records are
 * small; each part is one file:
 *   dmesg-<backend>-<id>     a part of a dump; its first line is a header "Panic#1 Part1"
 *                            ("<why>#<count> Part<n>"), then log lines "<4>[  12.345678] …";
 *                            Part1 holds the newest lines, the highest part the oldest
 *   console-<backend>-<id>   the console output of the previous boot (ramoops), no header
 * Parts of one dump share backend and header; ramoops only ever writes Part1, so two ramoops
 * files with the same header are two dumps. Upstream (pstore_probe.c) read dmesg files only and
 * joined parts by the count in the efi id; telem joins by header, which works for every backend.
 * Files the kernel could not decompress ("….enc.z") are not text and are left alone.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface PstoreFile {
  readonly name: string;
  readonly path: string;
  readonly kind: 'dmesg' | 'console';
  readonly backend: string;
  /** "Panic#1 Part1", when the file starts with a dump header. */
  readonly header?: { readonly line: string; readonly why: string; readonly count: number; readonly part: number };
  /** The log text, header taken off. */
  readonly text: string;
  readonly mtimeMs: number;
  /** Name and a digest of the content: how a file is remembered as reported (a name comes back when the kernel writes a new dump). */
  readonly key: string;
}

export interface PstoreDump {
  /** Its files, oldest part first. */
  readonly files: readonly PstoreFile[];
  readonly kind: 'dmesg' | 'console';
  /** The header of its newest part ("Panic#1 Part1"), if it has one. */
  readonly header?: PstoreFile['header'];
  readonly text: string;
  /** When the newest part was written (pstore gives each file the time of its record), 0 when unknown. */
  readonly mtimeMs: number;
}

const NAME = /^(dmesg|console)-([A-Za-z0-9_]+?)(?:-(\d+))?$/;
const HEADER = /^([A-Za-z]+)#(\d+) Part(\d+)$/;

/** The pstore files in `dir` that hold kernel log text, sorted by name. */
export async function readPstoreFiles(dir: string): Promise<PstoreFile[]> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  const files: PstoreFile[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const match = NAME.exec(entry.name);
    if (!entry.isFile() || match === null) continue;
    const file = path.join(dir, entry.name);
    const [content, info] = await Promise.all([readFile(file), stat(file)]);
    files.push(pstoreFile({ name: entry.name, path: file, kind: match[1] as PstoreFile['kind'], backend: match[2] ?? '', content, mtimeMs: info.mtimeMs }));
  }
  return files;
}

function pstoreFile(options: { name: string; path: string; kind: PstoreFile['kind']; backend: string; content: Buffer; mtimeMs: number }): PstoreFile {
  const text = options.content.toString('utf8');
  const newline = text.indexOf('\n');
  const first = (newline < 0 ? text : text.slice(0, newline)).replace(/\r$/, '');
  const header = HEADER.exec(first);
  const digest = createHash('sha256').update(options.content).digest('hex').slice(0, 16);
  const base = { name: options.name, path: options.path, kind: options.kind, backend: options.backend, mtimeMs: options.mtimeMs, key: `${options.name} ${digest}` };
  if (header === null) return { ...base, text };
  return {
    ...base,
    header: { line: first, why: header[1] ?? '', count: Number(header[2]), part: Number(header[3]) },
    text: newline < 0 ? '' : text.slice(newline + 1),
  };
}

/** The dumps the files make up, in the order of their first file. */
export function groupDumps(files: readonly PstoreFile[]): PstoreDump[] {
  const groups = new Map<string, PstoreFile[]>();
  for (const file of files) {
    const key = file.kind === 'dmesg' && file.header !== undefined ? `${file.backend} ${file.header.why}#${file.header.count}` : `file ${file.name}`;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const dumps: PstoreDump[] = [];
  for (const group of groups.values()) {
    const parts = group.map((file) => file.header?.part);
    // Two files claiming the same part are two dumps (ramoops, or one header reused across boots).
    const distinct = new Set(parts).size === parts.length;
    for (const members of distinct ? [group] : group.map((file) => [file])) dumps.push(dump(members));
  }
  return dumps;
}

function dump(members: readonly PstoreFile[]): PstoreDump {
  const files = [...members].sort((a, b) => (b.header?.part ?? 0) - (a.header?.part ?? 0));
  const newest = files[files.length - 1] as PstoreFile;
  return {
    files,
    kind: newest.kind,
    ...(newest.header === undefined ? {} : { header: newest.header }),
    text: files.map((file) => (file.text.endsWith('\n') || file.text === '' ? file.text : `${file.text}\n`)).join(''),
    mtimeMs: Math.max(...files.map((file) => file.mtimeMs)),
  };
}
