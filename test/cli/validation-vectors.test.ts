/**
 * Every vector of validation-vectors.txt, run through the real telem-record-gen compat bin
 * against a live intake. Where upstream was wrong (41-character first part accepted, payloads
 * that are not ASCII refused without a word or silently exit 0) the expectation says what we do.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { NOT_OPTED_IN_MESSAGE } from '../../engine/consent/files.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { conformanceFile } from '../helpers/conformance.js';
import { captureLikeRoot } from '../helpers/host-root.js';
import { startIntake } from '../helpers/intake.js';
import { fromRoot } from '../helpers/paths.js';

const RECORD_GEN = fromRoot('dist', 'cli', 'compat', 'telem-record-gen.js');
const A = (count: number): string => 'a'.repeat(count);
const PART_MESSAGE = 'Error: Classification strings between slashes should have at most 40 chars\n';
const SLASH_MESSAGE = "Error: Classification needs to be in most/to/least specific format, 2 '/' required.\n";
const RANGE_MESSAGE = 'Error: Valid range for severity is 1-4\n';

interface Vector {
  /** The "### …" line of the vectors file. */
  readonly title: string;
  readonly args: readonly string[];
  readonly input?: string;
  readonly optedIn?: boolean;
  readonly code: number;
  readonly stderr?: string;
  /** The payload the agent must receive (only for vectors that send). */
  readonly received?: string;
  readonly check?: (result: CliResult) => void;
}

function vectorOutput(title: string): string[] {
  const block = conformanceFile('validation-vectors.txt').split(`### ${title}\n`)[1] ?? '';
  // The capture cut the last line off: "    cpu_mod    => rc=0".
  return block
    .split('\n### ')[0]!
    .split('\n')
    .map((line) => line.replace(/ *=> rc=\d+$/, ''))
    .filter((line) => line.startsWith('    '))
    .map((line) => line.slice(4));
}

const VECTORS: readonly Vector[] = [
  // Fixed: upstream accepted 41 characters in the first part only.
  { title: `telem-record-gen -c ${A(41)}/b/c -p x`, args: ['-c', `${A(41)}/b/c`, '-p', 'x'], code: 1, stderr: PART_MESSAGE },
  { title: `telem-record-gen -c ${A(42)}/b/c -p x`, args: ['-c', `${A(42)}/b/c`, '-p', 'x'], code: 1, stderr: PART_MESSAGE },
  { title: `telem-record-gen -c a/${A(40)}/c -p x`, args: ['-c', `a/${A(40)}/c`, '-p', 'x'], code: 0, received: 'x' },
  { title: `telem-record-gen -c a/${A(41)}/c -p x`, args: ['-c', `a/${A(41)}/c`, '-p', 'x'], code: 1, stderr: PART_MESSAGE },
  { title: `telem-record-gen -c a/b/${A(40)} -p x`, args: ['-c', `a/b/${A(40)}`, '-p', 'x'], code: 0, received: 'x' },
  { title: `telem-record-gen -c a/b/${A(41)} -p x`, args: ['-c', `a/b/${A(41)}`, '-p', 'x'], code: 1, stderr: PART_MESSAGE },
  { title: 'telem-record-gen -c a/b -p x', args: ['-c', 'a/b', '-p', 'x'], code: 1, stderr: SLASH_MESSAGE },
  { title: 'telem-record-gen -c a/b/c/d -p x', args: ['-c', 'a/b/c/d', '-p', 'x'], code: 1, stderr: SLASH_MESSAGE },
  { title: 'telem-record-gen -c // -p x', args: ['-c', '//', '-p', 'x'], code: 0, received: 'x' },
  { title: 'telem-record-gen -c  -p x', args: ['-c', '', '-p', 'x'], code: 1, stderr: 'Error: Valid size for classification is 1-122 chars\n' },
  { title: 'telem-record-gen -c a/b/c -s 0 -p x', args: ['-c', 'a/b/c', '-s', '0', '-p', 'x'], code: 1, stderr: RANGE_MESSAGE },
  { title: 'telem-record-gen -c a/b/c -s 5 -p x', args: ['-c', 'a/b/c', '-s', '5', '-p', 'x'], code: 1, stderr: RANGE_MESSAGE },
  { title: 'telem-record-gen -c a/b/c -s -1 -p x', args: ['-c', 'a/b/c', '-s', '-1', '-p', 'x'], code: 1, stderr: RANGE_MESSAGE },
  {
    title: 'telem-record-gen -c a/b/c -s 2x -p x',
    args: ['-c', 'a/b/c', '-s', '2x', '-p', 'x'],
    code: 1,
    stderr: 'Invalid severity number. Must be an integer\n',
  },
  {
    title: 'telem-record-gen -c a/b/c -e 0123456789ABCDEF0123456789abcdef -p x',
    args: ['-c', 'a/b/c', '-e', '0123456789ABCDEF0123456789abcdef', '-p', 'x'],
    code: 1,
    stderr: "Error: event_id contains invalid character 'A' at position 10, valid characters are 0123456789abcdef\n",
  },
  {
    title: 'telem-record-gen -c a/b/c -e 0123456789abcdef -p x',
    args: ['-c', 'a/b/c', '-e', '0123456789abcdef', '-p', 'x'],
    code: 1,
    stderr: 'Error: event_id length 16 it should have 32 characters\n',
  },
  {
    title: 'telem-record-gen -c a/b/c -R abc -p x',
    args: ['-c', 'a/b/c', '-R', 'abc', '-p', 'x'],
    code: 1,
    stderr: 'Invalid record-version number. Must be an integer\n',
  },
  {
    title: 'telem-record-gen -c a/b/é -p x',
    args: ['-c', 'a/b/é', '-p', 'x'],
    code: 1,
    stderr: 'Error: Non-ascii characters detected in classification - aborting\n',
  },
  // Fixed: upstream refused UTF-8 payloads (without a message); "café" is text and is sent.
  {
    title: 'telem-record-gen -o -c a/b/c -p café',
    args: ['-o', '-c', 'a/b/c', '-p', 'café'],
    code: 0,
    received: 'café',
    check: (result) => assert.ok(result.stdout.endsWith('\ncafé\n'), result.stdout),
  },
  // Fixed: upstream exited 0 and printed nothing for a payload with a control character.
  {
    title: 'telem-record-gen -o -c a/b/c -p ctrl\u0001char',
    args: ['-o', '-c', 'a/b/c', '-p', 'ctrl\u0001char'],
    code: 1,
    stderr: 'Error: payload contains control character 0x01 at byte 4; payloads must be text\n',
  },
  {
    title: 'telem-record-gen -o -c a/b/c -s 4 -R 9 -e 00000000000000000000000000000000 -p hello',
    args: ['-o', '-c', 'a/b/c', '-s', '4', '-R', '9', '-e', '00000000000000000000000000000000', '-p', 'hello'],
    code: 0,
    received: 'hello',
    check: (result) => {
      const ours = result.stdout.split('\n');
      const upstream = vectorOutput('telem-record-gen -o -c a/b/c -s 4 -R 9 -e 00000000000000000000000000000000 -p hello');
      assert.equal(upstream.length, 13);
      for (const [index, line] of upstream.entries()) {
        const name = line.slice(0, line.indexOf(':'));
        // The time and this machine's kernel differ from the capture; everything else matches.
        if (name === 'creation_timestamp') assert.match(ours[index]!, /^creation_timestamp: \d+$/);
        else if (name === 'arch') assert.equal(ours[index], `arch: ${os.machine()}`);
        else if (name === 'kernel_version') assert.equal(ours[index], `kernel_version: ${os.release()}`);
        else if (index === upstream.length - 1) assert.ok(ours[index]!.startsWith(line.trimEnd()), `${ours[index]} vs ${line}`);
        else assert.equal(ours[index], line);
      }
      assert.deepEqual(ours.slice(13), ['bios_version: no_bv_file', 'event_id: 00000000000000000000000000000000', 'hello', '']);
    },
  },
  // Upstream refused the payload first; here it is text, so the opt-in refusal is what the user sees.
  {
    title: "telem-record-gen -c a/b/c -p 'café' (no -n, not opted in on host)",
    args: ['-c', 'a/b/c', '-p', 'café'],
    optedIn: false,
    code: 1,
    stderr: `${NOT_OPTED_IN_MESSAGE}\n`,
  },
  {
    title: 'telem-record-gen -c a/b/c -p ok (no -n, not opted in on host)',
    args: ['-c', 'a/b/c', '-p', 'ok'],
    optedIn: false,
    code: 1,
    stderr: `${NOT_OPTED_IN_MESSAGE}\n`,
  },
  {
    title: 'echo -n piped | telem-record-gen -n -o -c a/b/c (payload from stdin)',
    args: ['-n', '-o', '-c', 'a/b/c'],
    input: 'piped',
    code: 0,
    check: (result) => assert.ok(result.stdout.startsWith('record_format_version: 4\nclassification: a/b/c\n') && result.stdout.endsWith('\npiped\n')),
  },
];

test('validation vectors: every vector in validation-vectors.txt is covered', () => {
  const titles = [...conformanceFile('validation-vectors.txt').matchAll(/^### (.*)$/gm)].map((match) => match[1]);
  assert.deepEqual(
    VECTORS.map((vector) => vector.title),
    titles,
  );
});

test('validation vectors: telem-record-gen gives the expected message, exit status and record for each', async (t) => {
  const { server, sink, root } = await startIntake(t);
  await captureLikeRoot(t, { root });
  const notOptedIn = await captureLikeRoot(t, { optedIn: false });

  const results = new Map<string, CliResult>();
  // A few at a time: each vector is a real process.
  const queue = [...VECTORS];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let vector = queue.shift(); vector; vector = queue.shift()) {
        const env = { TELEM_ROOT: vector.optedIn === false ? notOptedIn : root };
        results.set(vector.title, await runCli(vector.args, { entry: RECORD_GEN, env, ...(vector.input === undefined ? {} : { input: vector.input }) }));
      }
    }),
  );

  for (const vector of VECTORS) {
    const result = results.get(vector.title)!;
    const label = `${vector.title}: ${JSON.stringify(result)}`;
    assert.equal(result.code, vector.code, label);
    if (vector.stderr !== undefined) assert.equal(result.stderr, vector.stderr, label);
    if (vector.code === 0) assert.equal(result.stderr, '', label);
    vector.check?.(result);
  }
  const expectedPayloads = VECTORS.flatMap((vector) => (vector.received === undefined ? [] : [vector.received]));
  assert.deepEqual(sink.records.map((accepted) => accepted.record.payload.toString()).sort(), expectedPayloads.sort());
  assert.equal(server.stats().accepted, expectedPayloads.length);
});
