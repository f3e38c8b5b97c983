/** Reads the byte captures of upstream's socket traffic (test/fixtures/conformance/captured-socket.txt). */
import { readFileSync } from 'node:fs';
import { fromRoot } from './paths.js';

export interface CapturedConnection {
  readonly number: number;
  /** The bytes the probe wrote, rebuilt from the hexdump. */
  readonly bytes: Buffer;
  /** The header lines as the capture tool decoded them ("name: value"). */
  readonly headerLines: readonly string[];
}

export function conformanceFile(name: string): string {
  return readFileSync(fromRoot('test', 'fixtures', 'conformance', name), 'utf8');
}

export function capturedConnections(): CapturedConnection[] {
  const text = conformanceFile('captured-socket.txt');
  const connections: CapturedConnection[] = [];
  for (const block of text.split(/^===== CONNECTION #/m).slice(1)) {
    const number = Number(/^(\d+)/.exec(block)?.[1]);
    const [dump = '', decoded = ''] = block.split('--- decoded ---');
    const bytes: number[] = [];
    for (const line of dump.split('\n')) {
      const match = /^[0-9a-f]{8} {2}((?:[0-9a-f]{2} {1,2})+)/.exec(line);
      if (match?.[1])
        bytes.push(
          ...match[1]
            .trim()
            .split(/\s+/)
            .map((hex) => Number.parseInt(hex, 16)),
        );
    }
    const headerLines = [...decoded.matchAll(/^ {4}'(.*)'$/gm)].map((match) => match[1] ?? '');
    connections.push({ number, bytes: Buffer.from(bytes), headerLines });
  }
  return connections;
}

/** The hand-made frame cases at the bottom of the capture: number, description, upstream outcome. */
export function handMadeCases(): { number: number; description: string; upstream: 'STAGED' | 'dropped' }[] {
  const text = conformanceFile('captured-socket.txt');
  return [...text.matchAll(/^(\d+) (.+?)\s+-> (STAGED|dropped)/gm)].map((match) => ({
    number: Number(match[1]),
    description: (match[2] ?? '').trim(),
    upstream: match[3] as 'STAGED' | 'dropped',
  }));
}
