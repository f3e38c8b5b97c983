/**
 * Reads the requests upstream's clients sent to a raw listener (test/fixtures/conformance/
 * captured-requests.txt, a copy of shared/conformance): exact head lines and exact body bytes.
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../helpers/paths.js';

export interface CapturedRequest {
  /** "PART 1", "PART 1b" or "PART 2". */
  readonly part: string;
  /** Request number within its listener run (#1, #2, …). */
  readonly number: number;
  /** The head with real CRLFs, blank line included, as it was on the wire. */
  readonly head: string;
  readonly body: Buffer;
}

export function loadCapturedRequests(): CapturedRequest[] {
  const text = readFileSync(fromRoot('test', 'fixtures', 'conformance', 'captured-requests.txt'), 'latin1');
  const requests: CapturedRequest[] = [];
  let part = '';
  for (const block of text.split(/^(?====== REQUEST |# PART )/m)) {
    const partMatch = /^# (PART \w+):/.exec(block);
    if (partMatch) {
      part = partMatch[1] ?? '';
      continue;
    }
    const number = /^===== REQUEST #(\d+) /.exec(block);
    if (!number) continue;
    const headLines = /--- raw request head[^\n]*\n([\s\S]*?)\n--- body/.exec(block)?.[1] ?? '';
    const head = headLines
      .split('\n')
      .map((line) => line.replace(/\\r\\n$/, '\r\n'))
      .join('');
    const size = Number(/--- body \((\d+) bytes/.exec(block)?.[1]);
    const start = block.indexOf('<<<BODY\n') + '<<<BODY\n'.length;
    const body = Buffer.from(block.slice(start, start + size), 'latin1');
    if (block.slice(start + size, start + size + '\nBODY>>>'.length) !== '\nBODY>>>') throw new Error(`capture ${part} #${number[1]}: body length mismatch`);
    requests.push({ part, number: Number(number[1]), head, body });
  }
  return requests;
}

export function capturedRequest(part: string, number: number): CapturedRequest {
  const found = loadCapturedRequests().find((request) => request.part === part && request.number === number);
  if (!found) throw new Error(`no captured request ${part} #${number}`);
  return found;
}
