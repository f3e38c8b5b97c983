/** What the reliability tests read from a running agent: its metrics and status endpoints, and its journal. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JournalLine } from '../../engine/journal/line.js';
import { readJournal } from '../../engine/journal/read-journal.js';
import { encodeFrame } from '../../engine/record/frame.js';
import type { AgentProcess } from '../helpers/agent-process.js';
import { testRecord } from '../helpers/records.js';

/** The base URL of the agent's --metrics endpoint. */
export async function metricsUrl(agent: AgentProcess): Promise<string> {
  const ready = await agent.waitForLog((line) => line.msg === 'agent ready');
  if (typeof ready.metrics !== 'string') throw new Error('the agent was started without --metrics');
  return ready.metrics;
}

/** Sum of the Prometheus samples whose line starts with `series` (name plus labels). */
export async function metric(agent: AgentProcess, series: string): Promise<number> {
  const text = await (await fetch(`${await metricsUrl(agent)}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${series} `) || line.startsWith(`${series}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

export interface AgentStatusJson {
  readonly spool: { readonly records: number; readonly bytes: number; readonly maxBytes: number | null };
  readonly backlog: Readonly<Record<string, number>>;
  readonly drops: Readonly<Record<string, number>>;
}

export async function agentStatus(agent: AgentProcess): Promise<AgentStatusJson> {
  return (await (await fetch(`${await metricsUrl(agent)}/status`)).json()) as AgentStatusJson;
}

/** The journal of an agent run under `root` with the default retention paths. */
export async function journalEntries(root: string): Promise<readonly JournalLine[]> {
  return (await readJournal({ file: path.join(root, 'var', 'log', 'telemetry', 'journal') })).entries;
}

/** Polls an async condition; fails after timeoutMs naming what it waited for. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, options: { timeoutMs: number; what: string }): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() - started > options.timeoutMs) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}; last value: ${JSON.stringify(value)}`);
    await sleep(25);
  }
}

/** A frame with a payload naming it, and the event id the journal will show for it. */
export function labelledFrame(label: string, padding = 0): { frame: Buffer; eventId: string; payload: string } {
  const payload = `${label}${padding > 0 ? `-${'x'.repeat(padding)}` : ''}`;
  const record = testRecord({ payload });
  return { frame: encodeFrame(record, { configPath: null }), eventId: record.headers.event_id, payload };
}

/** The label a labelledFrame payload carries (its padding removed). */
export function labelOf(payload: string): string {
  return payload.replace(/-x+$/, '');
}

/** The payload of a v3 request body as the HTTP sink received it. */
export function v3Payload(body: Buffer): string {
  return (JSON.parse(body.toString('utf8')) as { payload: string }).payload;
}

/** Where the tests' file destination (`path: /var/log/telemetry/archive.ndjson`) writes, under the root. */
export function archivePath(root: string): string {
  return path.join(root, 'var', 'log', 'telemetry', 'archive.ndjson');
}

/** The records a file destination has written so far (none when the file does not exist yet). */
export async function archivedRecords(root: string): Promise<Record<string, string>[]> {
  const text = await readFile(archivePath(root), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, string>);
}
