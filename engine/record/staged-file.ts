/**
 * Upstream's staged spool file, written by telemprobd and read by telempostd (reference §B):
 *
 *   [CFG:<path>\n] fifteen "name: value\n" lines, then the payload and one added "\n".
 *
 * Reading it lets an upstream spool directory be imported; the added newline is removed so the
 * payload is byte-exact again (upstream delivered it with the extra "\n", §G.3).
 */
import { randomInt } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { RECORD_HEADERS, type TelemetryRecord } from './fields.js';
import { checkHeaderValues, formatHeaderLines, parseHeaderLines } from './header-lines.js';
import { RecordError } from './problem.js';

const CONFIG_PREFIX = 'CFG:';
const NAME_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface StagedRecord {
  readonly record: TelemetryRecord;
  readonly configPath: string | null;
}

export type ParsedStagedRecord = ({ readonly ok: true } & StagedRecord) | { readonly ok: false; readonly detail: string };

export function formatStagedRecord(staged: StagedRecord): Buffer {
  const problem = checkHeaderValues(staged.record.headers);
  if (problem) throw new RecordError(problem);
  if (staged.configPath !== null && /[\n\0]/.test(staged.configPath)) {
    throw new RecordError({ code: 'config-path', message: 'a config path cannot contain a newline or NUL' });
  }
  const head = `${staged.configPath === null ? '' : `${CONFIG_PREFIX}${staged.configPath}\n`}${formatHeaderLines(staged.record.headers)}`;
  return Buffer.concat([Buffer.from(head, 'utf8'), staged.record.payload, Buffer.from('\n')]);
}

export function parseStagedRecord(content: Buffer): ParsedStagedRecord {
  let offset = 0;
  let configPath: string | null = null;
  if (content.subarray(0, CONFIG_PREFIX.length).toString('latin1') === CONFIG_PREFIX) {
    const end = content.indexOf(0x0a);
    if (end < 0) return { ok: false, detail: 'the CFG line has no newline' };
    configPath = content.toString('utf8', CONFIG_PREFIX.length, end);
    offset = end + 1;
  }
  const lines: string[] = [];
  while (lines.length < RECORD_HEADERS.length) {
    const end = content.indexOf(0x0a, offset);
    if (end < 0) return { ok: false, detail: `expected ${RECORD_HEADERS.length} header lines, found ${lines.length}` };
    lines.push(content.toString('utf8', offset, end));
    offset = end + 1;
  }
  const parsed = parseHeaderLines(lines);
  if (!parsed.ok) return { ok: false, detail: parsed.detail };
  let body = content.subarray(offset);
  if (body.length > 0 && body[body.length - 1] === 0x0a) body = body.subarray(0, body.length - 1);
  return { ok: true, record: { headers: parsed.headers, payload: Buffer.from(body) }, configPath };
}

/** Far more than any staged record (15 short header lines and a payload of at most a few KiB). */
const MAX_STAGED_FILE_BYTES = 1024 * 1024;
// A symlink is not followed and a FIFO does not block the reader: only regular files are read.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export async function readStagedRecordFile(file: string): Promise<ParsedStagedRecord> {
  let handle;
  try {
    handle = await open(file, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, detail: 'a symbolic link (not followed)' };
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, detail: 'not a regular file' };
    if (info.size > MAX_STAGED_FILE_BYTES) return { ok: false, detail: `${info.size} bytes, more than any staged record` };
    return parseStagedRecord(await handle.readFile());
  } finally {
    await handle.close();
  }
}

/** mkstemp-style name: six characters of [A-Za-z0-9], as telemprobd's "XXXXXX". */
function stagedName(): string {
  let name = '';
  for (let i = 0; i < 6; i++) name += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return name;
}

/**
 * Writes a staged file that upstream telempostd can read: a fresh name, mode 0600, contents
 * fsynced before the function returns. Returns the file's path.
 */
export async function writeStagedRecordFile(options: StagedRecord & { readonly dir: string }): Promise<string> {
  const content = formatStagedRecord(options);
  for (;;) {
    const file = path.join(options.dir, stagedName());
    let handle;
    try {
      handle = await open(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return file;
  }
}
