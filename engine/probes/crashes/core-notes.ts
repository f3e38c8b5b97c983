/**
 * What an ELF core file says about the process it came from, read from its PT_NOTE segments
 * without any tool: the pid (NT_PRPSINFO, what upstream's libdwfl reported as "PID"), the signal
 * (NT_SIGINFO, else the first NT_PRSTATUS), the short name, the mapped files (NT_FILE) and so the
 * executable (the file mapped at the auxiliary vector's AT_ENTRY). gdb needs the executable
 * named, and gdb frames carry no module name: both come from here.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { TelemError } from '../../errors/telem-error.js';

export interface CoreMapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly file: string;
}

export interface CoreNotes {
  readonly pid: number | null;
  readonly signal: number | null;
  /** The kernel's short name of the process (comm, at most 15 characters). */
  readonly name: string | null;
  /** The crashed program's path, as the process saw it. */
  readonly executable: string | null;
  readonly mappings: readonly CoreMapping[];
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ET_CORE = 4;
const PT_NOTE = 4;
const NT_PRSTATUS = 1;
const NT_PRPSINFO = 3;
const NT_AUXV = 6;
const NT_SIGINFO = 0x53494749;
const NT_FILE = 0x46494c45;
const AT_ENTRY = 9n;
// Notes are small (kilobytes, NT_FILE grows with the mappings); a larger one is not a real core's.
const MAX_NOTES_BYTES = 64 * 1024 * 1024;

interface Layout {
  readonly wide: boolean;
  readonly little: boolean;
}

function reader(bytes: Buffer, layout: Layout) {
  return {
    u16: (offset: number) => (layout.little ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset)),
    u32: (offset: number) => (layout.little ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset)),
    i32: (offset: number) => (layout.little ? bytes.readInt32LE(offset) : bytes.readInt32BE(offset)),
    u64: (offset: number) => (layout.little ? bytes.readBigUInt64LE(offset) : bytes.readBigUInt64BE(offset)),
    word(offset: number): bigint {
      return layout.wide ? this.u64(offset) : BigInt(this.u32(offset));
    },
  };
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function invalid(file: string, why: string): TelemError {
  return new TelemError('core-invalid', `${file} is not an ELF core file: ${why}`);
}

interface RawNote {
  readonly type: number;
  readonly name: string;
  readonly desc: Buffer;
}

function* notesIn(segment: Buffer, layout: Layout): Generator<RawNote> {
  const read = reader(segment, layout);
  const align = (n: number) => (n + 3) & ~3;
  let offset = 0;
  while (offset + 12 <= segment.length) {
    const nameSize = read.u32(offset);
    const descSize = read.u32(offset + 4);
    const type = read.u32(offset + 8);
    const nameStart = offset + 12;
    const descStart = nameStart + align(nameSize);
    if (descStart + descSize > segment.length) return;
    yield { type, name: cString(segment.subarray(nameStart, nameStart + nameSize)), desc: segment.subarray(descStart, descStart + descSize) };
    offset = descStart + align(descSize);
  }
}

/** NT_FILE: count, page size, count × (start, end, page offset), then count file names. */
function fileMappings(desc: Buffer, layout: Layout): CoreMapping[] {
  const read = reader(desc, layout);
  const word = layout.wide ? 8 : 4;
  const count = Number(read.word(0));
  let names = word * 2 + count * 3 * word;
  if (names > desc.length) return [];
  const mappings: CoreMapping[] = [];
  for (let index = 0; index < count && names < desc.length; index++) {
    const entry = word * 2 + index * 3 * word;
    const end = desc.indexOf(0, names);
    const file = desc.subarray(names, end === -1 ? desc.length : end).toString('utf8');
    names = end === -1 ? desc.length : end + 1;
    mappings.push({ start: read.word(entry), end: read.word(entry + word), file });
  }
  return mappings;
}

function auxvEntry(desc: Buffer, layout: Layout, key: bigint): bigint | null {
  const read = reader(desc, layout);
  const word = layout.wide ? 8 : 4;
  for (let offset = 0; offset + 2 * word <= desc.length; offset += 2 * word) {
    if (read.word(offset) === key) return read.word(offset + word);
  }
  return null;
}

/** Offsets of pr_pid and pr_fname in struct elf_prpsinfo, told apart by its size. */
const PRPSINFO_LAYOUTS: Readonly<Record<number, { pid: number; fname: number }>> = {
  136: { pid: 24, fname: 40 }, // 64-bit
  128: { pid: 16, fname: 32 }, // 32-bit, 32-bit uids
  124: { pid: 12, fname: 28 }, // 32-bit, 16-bit uids (i386, arm)
};

export async function readCoreNotes(file: string): Promise<CoreNotes> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new TelemError('core-invalid', `cannot read the core file ${file}: ${error.code ?? error.message}`, { cause: error });
  });
  try {
    const header = Buffer.alloc(64);
    const { bytesRead } = await handle.read(header, 0, 64, 0);
    if (bytesRead < 52 || !header.subarray(0, 4).equals(ELF_MAGIC)) throw invalid(file, 'no ELF header');
    const layout: Layout = { wide: header[4] === 2, little: header[5] === 1 };
    const read = reader(header, layout);
    if (read.u16(16) !== ET_CORE) throw invalid(file, 'an ELF file, but not a core dump');
    const phoff = Number(layout.wide ? read.u64(32) : BigInt(read.u32(28)));
    const phentsize = read.u16(layout.wide ? 54 : 42);
    const phnum = read.u16(layout.wide ? 56 : 44);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    const rows = reader(table, layout);

    let pid: number | null = null;
    let prstatusSignal: number | null = null;
    let siginfoSignal: number | null = null;
    let name: string | null = null;
    let entry: bigint | null = null;
    let mappings: CoreMapping[] = [];
    let budget = MAX_NOTES_BYTES;
    for (let index = 0; index < phnum; index++) {
      const row = index * phentsize;
      if (rows.u32(row) !== PT_NOTE) continue;
      const offset = Number(layout.wide ? rows.u64(row + 8) : BigInt(rows.u32(row + 4)));
      const size = Number(layout.wide ? rows.u64(row + 32) : BigInt(rows.u32(row + 16)));
      budget -= size;
      if (budget < 0) throw invalid(file, 'its notes are larger than a core has');
      const segment = Buffer.alloc(size);
      await handle.read(segment, 0, size, offset);
      for (const note of notesIn(segment, layout)) {
        if (note.name !== 'CORE') continue;
        const desc = reader(note.desc, layout);
        if (note.type === NT_PRSTATUS && prstatusSignal === null && note.desc.length >= 14) prstatusSignal = desc.u16(12);
        else if (note.type === NT_SIGINFO && siginfoSignal === null && note.desc.length >= 4) siginfoSignal = desc.i32(0);
        else if (note.type === NT_PRPSINFO && pid === null) {
          const at = PRPSINFO_LAYOUTS[note.desc.length];
          if (at) {
            pid = desc.i32(at.pid);
            name = cString(note.desc.subarray(at.fname, at.fname + 16));
          }
        } else if (note.type === NT_AUXV) entry = auxvEntry(note.desc, layout, AT_ENTRY);
        else if (note.type === NT_FILE) mappings = fileMappings(note.desc, layout);
      }
    }
    const main = entry === null ? undefined : mappings.find((mapping) => mapping.start <= entry && entry < mapping.end);
    return {
      pid,
      signal: siginfoSignal ?? prstatusSignal,
      name,
      executable: main?.file ?? mappings[0]?.file ?? null,
      mappings,
    };
  } finally {
    await handle.close();
  }
}

/**
 * The module name upstream's libdwfl gave an address: the executable by its full path, a
 * library by its file name ("libc.so.6"); null outside any mapped file.
 */
export function moduleAt(notes: CoreNotes, address: bigint): string | null {
  const mapping = notes.mappings.find((candidate) => candidate.start <= address && address < candidate.end);
  if (!mapping) return null;
  return mapping.file === notes.executable ? mapping.file : path.basename(mapping.file);
}
