/**
 * Records to simulate, from the collector's NDJSON export (GET /api/records?format=ndjson, one
 * record object per line) or from this machine's journal. A line that is not a record stops the
 * read with a TelemError naming the line: a simulation of part of the input would mislead.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { TelemError } from '../errors/telem-error.js';
import { RECORD_HEADERS, type RecordHeaders } from '../record/fields.js';
import type { SimulatedRecord } from './simulate.js';

/** One exported record → the record the agent would have taken, at its creation time. */
export function recordFromExport(line: string, where: string): SimulatedRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new TelemError('input-invalid', `${where}: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TelemError('input-invalid', `${where}: expected a record object`);
  const fields = value as Record<string, unknown>;
  const headers: Partial<Record<(typeof RECORD_HEADERS)[number], string>> = {};
  for (const name of RECORD_HEADERS) {
    const field = fields[name];
    if (typeof field !== 'string' && typeof field !== 'number') throw new TelemError('input-invalid', `${where}: the record has no ${name}`);
    headers[name] = String(field);
  }
  if (typeof fields.payload !== 'string') throw new TelemError('input-invalid', `${where}: the record has no payload`);
  const seconds = Number(headers.creation_timestamp);
  if (!Number.isFinite(seconds)) throw new TelemError('input-invalid', `${where}: creation_timestamp ${JSON.stringify(headers.creation_timestamp)} is not a number`);
  return { record: { headers: headers as RecordHeaders, payload: Buffer.from(fields.payload, 'utf8') }, at: seconds * 1000 };
}

/** Reads NDJSON export lines from a stream (blank lines are skipped); `name` is used in messages. */
export async function* readExport(stream: Readable, name: string): AsyncGenerator<SimulatedRecord> {
  let number = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    number += 1;
    if (line.trim() === '') continue;
    yield recordFromExport(line, `${name}:${number}`);
  }
}
