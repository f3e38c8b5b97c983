/**
 * What a local attacker can try against the agent: the permissions it leaves on its socket and
 * files, symlinks and FIFOs planted in its spool directory, and records whose classification,
 * CFG path or header values try to name paths outside the agent's directories.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RECORD_HEADERS } from '../../engine/record/fields.js';
import { formatHeaderLines } from '../../engine/record/header-lines.js';
import { formatStagedRecord, writeStagedRecordFile } from '../../engine/record/staged-file.js';
import { encodeEntry } from '../../engine/spool/entry.js';
import { oneRoutePolicy, startAgent, writePolicy } from '../helpers/agent-process.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { sendRaw, waitUntil } from '../helpers/intake.js';
import { testFrame, testRecord } from '../helpers/records.js';
import { tempDir } from '../helpers/tmp.js';
import { archivePath, archivedRecords, eventually, journalEntries, metric, v3Payload } from './agent-probe.js';

const mode = async (file: string) => ((await stat(file)).mode & 0o777).toString(8).padStart(4, '0');

/** Every file and directory under `dir`, relative, sorted. */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = path.join(prefix, entry.name);
    found.push(relative);
    if (entry.isDirectory()) found.push(...(await tree(dir, relative)));
  }
  return found.sort();
}

test("security: the socket has the policy's mode; spool directory 0700 and its files 0600; journal, payloads and file destination 0640", async (t) => {
  const root = await tempDir(t);
  const sink = await startHttpSink(t, { respond: () => ({ status: 503 }) });
  const policy = await writePolicy(
    root,
    `apiVersion: telem/v1
kind: Policy
metadata: { name: modes }
consent: { require_opt_in: false }
intake: { mode: "0620" }
destinations:
  central: { type: http, url: "${sink.url()}" }
  archive: { type: file, path: /var/log/telemetry/archive.ndjson }
  here: { type: local }
routes:
  - { name: all, to: [central, archive, here] }
retention: { keep_payloads: 5 }
`,
  );
  const agent = await startAgent(t, { root, policy });
  assert.equal((await lstat(agent.socketPath)).isSocket(), true);
  assert.equal(await mode(agent.socketPath), '0620');
  assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload: 'mode check' })]), null);
  const archive = archivePath(root);
  await eventually(
    async () => (await journalEntries(root)).length,
    (count) => count >= 2,
    { timeoutMs: 5000, what: 'the local and file deliveries' },
  );
  await waitUntil(() => sink.requests.length > 0, 5000, 'an attempt at the http destination');
  // The http destination answers 503: the record stays spooled while the modes are read.
  const spoolDir = path.join(root, 'var/spool/telemetry');
  assert.equal(await mode(spoolDir), '0700');
  const spoolFiles = await readdir(spoolDir);
  assert.ok(spoolFiles.some((name) => name.endsWith('.seg')) && spoolFiles.some((name) => name.endsWith('.ack')), spoolFiles.join(', '));
  for (const name of spoolFiles) assert.equal(await mode(path.join(spoolDir, name)), '0600', name);
  assert.equal(await mode(path.join(root, 'var/log/telemetry/journal')), '0640');
  assert.equal(await mode(archive), '0640');
  // Retained after the journal line is written (payloads are kept best-effort, a moment later).
  const payloads = await eventually(
    () => readdir(path.join(root, 'var/log/telemetry/records')).catch(() => []),
    (names) => names.length > 0,
    { timeoutMs: 5000, what: 'the retained payload' },
  );
  assert.equal(payloads.length, 1);
  assert.equal(await mode(path.join(root, 'var/log/telemetry/records', payloads[0] as string)), '0640');
  await agent.stop();
});

test(
  'security: symlinks, a FIFO and a directory planted in the spool directory are never read, followed or written through; the agent starts and delivers',
  { timeout: 20_000 },
  async (t) => {
    const root = await tempDir(t);
    const outside = path.join(root, 'outside');
    const spoolDir = path.join(root, 'var/spool/telemetry');
    await mkdir(outside, { recursive: true });
    await mkdir(spoolDir, { recursive: true });
    // Targets that would be delivered if they were followed: a valid segment, an ack file, a staged record.
    const plantedEntry = { id: 'f'.repeat(32), acceptedAt: Date.now(), record: testRecord({ payload: 'planted segment' }), routes: [{ route: 'all', to: ['central'] }], revision: 1 };
    const targets: Record<string, Buffer> = {
      'victim.seg': encodeEntry(plantedEntry),
      'victim.ack': Buffer.from('not an ack file\n'),
      staged: formatStagedRecord({ record: testRecord({ payload: 'planted staged record' }), configPath: null }),
    };
    for (const [name, contents] of Object.entries(targets)) await writeFile(path.join(outside, name), contents);
    await symlink(path.join(outside, 'victim.seg'), path.join(spoolDir, '0000000001.seg'));
    await symlink(path.join(outside, 'victim.ack'), path.join(spoolDir, '0000000001.ack'));
    await symlink(path.join(outside, 'staged'), path.join(spoolDir, 'LINK01'));
    await promisify(execFile)('mkfifo', [path.join(spoolDir, 'FIFO01')]);
    await mkdir(path.join(spoolDir, 'DIRE01'));
    await writeStagedRecordFile({ dir: spoolDir, record: testRecord({ payload: 'real staged record' }), configPath: null });

    const sink = await startHttpSink(t);
    const policy = await writePolicy(root, oneRoutePolicy({ name: 'planted', destination: `{ type: http, url: "${sink.url()}" }` }));
    const agent = await startAgent(t, { root, policy });
    for (const payload of ['sent 1', 'sent 2']) assert.equal(await sendRaw(agent.socketPath, [testFrame({ payload })]), null);
    await waitUntil(() => sink.requests.length >= 3, 5000, 'the real staged record and the two sent');
    assert.equal(await agent.stop(), 0);

    assert.deepEqual(sink.requests.map((request) => v3Payload(request.body)).sort(), ['real staged record', 'sent 1', 'sent 2']);
    for (const [name, contents] of Object.entries(targets)) assert.deepEqual(await readFile(path.join(outside, name)), contents, `${name} is untouched`);
    for (const name of ['0000000001.seg', '0000000001.ack', 'LINK01']) assert.ok((await lstat(path.join(spoolDir, name))).isSymbolicLink(), `${name} is left as it was`);
    const leftAlone = agent.logs.filter((line) => line.msg === 'not an upstream staged record; left alone').map((line) => `${path.basename(String(line.file))}: ${String(line.reason)}`);
    assert.deepEqual(leftAlone.sort(), ['DIRE01: not a regular file', 'FIFO01: not a regular file', 'LINK01: a symbolic link (not followed)']);
  },
);

/** A frame written by hand, so header values can hold what encodeFrame refuses (line breaks, NUL). */
function handMadeFrame(options: { headers: Record<string, string>; configPath?: string; payload: string }): Buffer {
  const headers = Object.fromEntries(RECORD_HEADERS.map((name) => [name, options.headers[name] ?? testRecord().headers[name]])) as Parameters<typeof formatHeaderLines>[0];
  const config = options.configPath === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from(`CFG:${options.configPath}`), Buffer.alloc(1)]);
  const head = Buffer.from(formatHeaderLines(headers), 'utf8');
  const payload = Buffer.from(options.payload, 'utf8');
  const size = 4 + config.length + 4 + head.length + payload.length + 1;
  const frame = Buffer.alloc(size);
  let offset = frame.writeUInt32LE(size, 0);
  offset += config.copy(frame, offset);
  offset = frame.writeUInt32LE(head.length, offset);
  offset += head.copy(frame, offset);
  payload.copy(frame, offset);
  return frame;
}

test(
  'security: classifications, CFG paths and header values naming "../" paths, with NUL or line breaks, never make the agent write outside its directories',
  { timeout: 20_000 },
  async (t) => {
    const root = await tempDir(t);
    const tag = `telem-escape-${path.basename(root)}`;
    const policy = await writePolicy(
      root,
      `apiVersion: telem/v1
kind: Policy
metadata: { name: escape }
consent: { require_opt_in: false }
destinations:
  archive: { type: file, path: /var/log/telemetry/archive.ndjson }
  here: { type: local }
routes: [{ name: all, to: [archive, here] }]
retention: { keep_payloads: 50 }
`,
    );
    const agent = await startAgent(t, { root, policy, args: ['--metrics', '127.0.0.1:0'] });
    const before = await tree(root);
    const escape = `../../../../../../../../tmp/${tag}`;
    const attempts: { headers: Record<string, string>; configPath?: string; payload: string }[] = [
      { headers: { classification: `../${tag}/x` }, payload: 'dot-dot classification' },
      { headers: { classification: `org/../../${tag}` }, payload: 'deep classification' },
      { headers: { classification: `/tmp/${tag}` }, payload: 'absolute classification' },
      { headers: {}, configPath: escape, payload: 'dot-dot CFG path' },
      { headers: {}, configPath: `/tmp/${tag}`, payload: 'absolute CFG path' },
      { headers: { event_id: escape, machine_id: escape, build: `${escape}\u0000x`, kernel_version: `a\rb/../${tag}`, board_name: `${escape}\u001b[2J` }, payload: 'header values' },
      { headers: { classification: `a/b/${tag}\u0000` }, payload: 'NUL in classification' },
      { headers: {}, payload: `${escape}\nline two` },
    ];
    for (const attempt of attempts) await sendRaw(agent.socketPath, [handMadeFrame(attempt)]);
    await eventually(
      async () => (await archivedRecords(root)).length + (await metric(agent, 'telem_intake_refused_total')),
      (count) => count === attempts.length,
      { timeoutMs: 5000, what: 'every record archived or rejected' },
    );
    assert.equal(await agent.stop(), 0);

    // Nothing new outside the agent's own places.
    const allowed = ['run', 'var/spool/telemetry', 'var/log/telemetry', 'var/lib/telemetry', 'var/lib/telem'];
    const added = (await tree(root)).filter((file) => !before.includes(file));
    const stray = added.filter((file) => !allowed.some((place) => file === place || file.startsWith(`${place}/`) || place.startsWith(`${file}/`)));
    assert.deepEqual(stray, []);
    assert.ok(
      added.every((file) => !file.includes(tag)),
      `no file is named after a record: ${added.join(', ')}`,
    );
    for (const place of [path.join('/tmp', tag), path.resolve(root, '..', tag), path.resolve(root, tag)]) {
      await assert.rejects(lstat(place), { code: 'ENOENT' }, `${place} was not created`);
    }
    // The records that were accepted kept their text as data.
    const lines = await archivedRecords(root);
    assert.ok(lines.some((line) => line.classification === `../${tag}/x`));
    assert.ok(lines.some((line) => line.event_id === escape));
  },
);
