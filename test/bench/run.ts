/**
 * `npm run bench [-- --json] [-- --quick] [-- --note TEXT] [-- --only PART[,PART]]`: measures telem against DESIGN.md's numbers, each beside
 * the same machine's raw limit measured in the same run. Not part of `npm test`: it asserts nothing.
 * PARTs: policy, simulate, fsync, intake, e2e, collector, memory (all by default).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fromRoot } from '../helpers/paths.js';
import { testFrame } from '../helpers/records.js';
import { processFigures, startBenchAgent, waitForCount } from './agent-process.js';
import { bareAppendSyncLoop, bareFsyncLoop, bareHttpServer, bareSocketReader } from './baselines.js';
import { benchPosts, collectorBatchIngest, collectorIngest, ingestDuringQueries, percentile, startBenchCollector } from './collector.js';
import { type BenchDatabase, freshBenchDatabase } from './postgres-database.js';
import { FLOOD_MARKER, type FloodTools, buildFloodTools, floodLoad, httpFloodLoad } from './flood.js';
import { socketLoad } from './load.js';
import { baselineCell, formatValue } from './readme-table.js';
import { measureCompile, measureJsonRoundTrip, measureMapLookups, measureRouting } from './policy-scale.js';
import { measureSimulate } from './simulate.js';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly baseline?: { readonly name: string; readonly value: number };
}

const args = new Set(process.argv.slice(2));
/** --note "…": what else ran on the machine, or anything a reader of the figures should know. */
const noteIndex = process.argv.indexOf('--note');
const note = noteIndex > 0 ? process.argv[noteIndex + 1] : undefined;
const quick = args.has('--quick');
/** The parts of the run, in order; --only runs some of them (a part's figures need nothing from another). */
const PARTS = ['policy', 'simulate', 'fsync', 'intake', 'e2e', 'collector', 'memory'] as const;
type Part = (typeof PARTS)[number];
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? new Set((process.argv[onlyIndex + 1] ?? '').split(',')) : null;
for (const part of only ?? []) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: no part "${part}" (parts: ${PARTS.join(', ')})`);
const runs = (part: Part) => only === null || only.has(part);
const scale = (full: number) => (quick ? Math.max(200, Math.round(full / 10)) : full);
const figures: Figure[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/**
 * The load generators run as one local user, and the intake gives one user only its share of the
 * slots (max_connections_per_uid); the bench policy gives that user nearly all of them, so the
 * figures measure the intake rather than the per-user limit. The intake closes a connection once
 * its record is durable and refuses more once its wait queue (4 × max_connections) is full, so the
 * load keeps at most this many connections open: the slots and most of the wait queue.
 */
const BENCH_IN_FLIGHT = 4000;
/** The default policy serves one user 64 connections at a time and lets 1,024 more wait. */
const DEFAULT_POLICY_IN_FLIGHT = 1000;
/** How long after a burst of work memory is measured: past V8's memory reducer (about 30 s of quiet). */
const SETTLE_AFTER_WORK_MS = 40_000;

/** `perUid`: the bench user's share of the 1,024 slots (null: the default share). */
function agentPolicy(durability: string, perUid: number | null = 1000): string {
  return `apiVersion: telem/v1
kind: Policy
metadata: { name: bench-intake }
consent: { require_opt_in: false }
spool: { durability: ${durability}, max_size: unlimited }
intake: { max_connections: 1024${perUid === null ? '' : `, max_connections_per_uid: ${perUid}`} }
destinations: { local: { type: local } }
routes: [{ name: default, to: [local] }]
`;
}

/** Records/s from the start of `load` until the agent has accepted all `total` of them. */
async function intakeRate(work: string, policyYaml: string, total: number, load: (socketPath: string) => Promise<unknown>): Promise<number> {
  const root = await mkdtemp(path.join(work, 'intake-'));
  const agent = await startBenchAgent({ root, policyYaml });
  try {
    const started = Date.now();
    await load(agent.socketPath);
    const finished = await waitForCount(
      () => agent.counter(/^telem_records_accepted_total/),
      total,
      120_000,
      () => agent.counter(/^telem_intake_refused_total/),
    );
    return total / ((finished - started) / 1000);
  } finally {
    await agent.stop();
  }
}

async function intake(work: string, tools: FloodTools | null): Promise<void> {
  const frame = testFrame({ payload: 'x'.repeat(200) });
  const total = scale(50_000);
  for (const concurrency of [1, 16]) {
    progress(`bare socket reader, concurrency ${concurrency}`);
    const load = (socketPath: string) => floodLoad({ tools, work, path: socketPath, frame, total, concurrency, inFlight: BENCH_IN_FLIGHT });
    const bare = await bareSocketReader({ dir: work, load });
    for (const durability of ['fsync', 'batch']) {
      progress(`intake, durability ${durability}, concurrency ${concurrency}`);
      const perSecond = await intakeRate(work, agentPolicy(durability), total, load);
      figures.push({
        name: `intake records/s (${durability}, concurrency ${concurrency})`,
        value: perSecond,
        unit: 'records/s',
        target: '≥ 20,000 records/s',
        baseline: { name: 'bare unix-socket reader', value: bare.perSecond },
      });
    }
  }
  // One user at its default share: 64 records in flight, so a batch window gathers at most 64 and
  // still waits out its batch_window, which makes batch slower than fsync here.
  const load = (socketPath: string) => floodLoad({ tools, work, path: socketPath, frame, total, concurrency: 16, inFlight: BENCH_IN_FLIGHT });
  for (const durability of ['fsync', 'batch']) {
    progress(`intake, durability ${durability}, one user at the default 64 slots`);
    const perSecond = await intakeRate(work, agentPolicy(durability, null), total, load);
    figures.push({ name: `intake records/s (${durability}, concurrency 16, one user at the default max_connections_per_uid 64)`, value: perSecond, unit: 'records/s' });
  }
  // A probe that waits for each close (its record durable) before it sends the next: batch holds
  // each record for its batch_window, as documented, since no other record comes to share the sync.
  const sequential = scale(1000);
  for (const durability of ['fsync', 'batch']) {
    progress(`intake, durability ${durability}, one probe waiting for each close`);
    const perSecond = await intakeRate(work, agentPolicy(durability), sequential, (socketPath) => socketLoad({ path: socketPath, frame, total: sequential, concurrency: 1 }));
    figures.push({ name: `intake records/s (${durability}, one probe waiting for each close)`, value: perSecond, unit: 'records/s' });
  }
}

/** RSS and idle wake-ups of a bare Node process doing nothing: the floor for the agent's figures. */
async function bareNodeIdle(settleMs: number, idleSeconds: number): Promise<{ rssMiB: number; wakeupsPerMinute: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await sleep(settleMs);
    const before = await processFigures(child.pid as number);
    await sleep(idleSeconds * 1000);
    const after = await processFigures(child.pid as number);
    return { rssMiB: after.rssMiB, wakeupsPerMinute: ((after.wakeups - before.wakeups) * 60) / idleSeconds };
  } finally {
    child.kill();
  }
}

/**
 * The embedded default policy (policies/default.policy.yaml), as DESIGN.md's memory target says,
 * with its http destination pointed at a closed local port (the bench runs offline: records stay
 * spooled) and room in the spool for what is measured.
 */
async function defaultPolicyOffline(): Promise<string> {
  const text = await readFile(fromRoot('policies', 'default.policy.yaml'), 'utf8');
  const offline = text
    .replace(/url: https:\/\/\S+/, 'url: http://127.0.0.1:9/v3/collector')
    .replace(/max_size: \S+/, 'max_size: unlimited')
    .replace(/require_opt_in: true/, 'require_opt_in: false');
  if (offline === text) throw new Error('the default policy no longer has the url this benchmark rewrites');
  return offline;
}

async function memory(work: string, tools: FloodTools | null): Promise<void> {
  progress('agent memory and idle wake-ups (default policy, http destination)');
  const root = await mkdtemp(path.join(work, 'memory-'));
  const policyYaml = await defaultPolicyOffline();
  let agent = await startBenchAgent({ root, policyYaml });
  try {
    // Let start-up settle (V8's memory reducer returns start-up garbage after ~15 s of quiet).
    await sleep(quick ? 3000 : 20_000);
    const before = await processFigures(agent.child.pid as number);
    const idleSeconds = quick ? 5 : 30;
    await sleep(idleSeconds * 1000);
    const after = await processFigures(agent.child.pid as number);
    const bare = await bareNodeIdle(quick ? 3000 : 20_000, idleSeconds);
    figures.push({
      name: 'agent RSS idle (default policy, http destination)',
      value: after.rssMiB,
      unit: 'MiB',
      target: '≤ 60 MiB',
      baseline: { name: 'bare idle Node process', value: bare.rssMiB },
    });
    figures.push({
      name: 'agent wake-ups per minute idle',
      value: ((after.wakeups - before.wakeups) * 60) / idleSeconds,
      unit: '/min',
      target: 'no busy wake-ups',
      baseline: { name: 'bare idle Node process', value: bare.wakeupsPerMinute },
    });
    const spooled = scale(200_000);
    progress(`agent memory with ${spooled.toLocaleString('en-US')} records spooled`);
    await floodLoad({ tools, work, path: agent.socketPath, frame: testFrame({ payload: 'y'.repeat(200) }), total: spooled, concurrency: 16, inFlight: DEFAULT_POLICY_IN_FLIGHT });
    await waitForCount(
      () => agent.counter(/^telem_records_accepted_total/),
      spooled,
      300_000,
      () => agent.counter(/^telem_intake_refused_total/),
    );
    // Steady state, as for the idle figure: V8's memory reducer gives back what the flood's garbage
    // grew (the young generation above all) some 30 s after the work stops; the peak is reported too.
    await sleep(quick ? 1000 : SETTLE_AFTER_WORK_MS);
    const spooledFigures = await processFigures(agent.child.pid as number);
    const count = spooled.toLocaleString('en-US');
    figures.push({
      name: `agent RSS with ${count} records spooled (default policy, destination down)`,
      value: spooledFigures.rssMiB,
      unit: 'MiB',
      target: spooled === 200_000 ? '≤ 100 MiB' : '',
      baseline: { name: 'bare idle Node process', value: bare.rssMiB },
    });
    figures.push({ name: `agent peak RSS while ${count} records were spooled`, value: spooledFigures.peakRssMiB, unit: 'MiB' });
    // A restart with that backlog (what systemd does after a crash): from spawn until the agent
    // says it is ready (spool recovered, socket listening), beside a bare Node process's start.
    progress(`agent restart with ${count} records spooled`);
    await agent.stop();
    const started = Date.now();
    agent = await startBenchAgent({ root, policyYaml });
    const restartMs = Date.now() - started;
    await sleep(quick ? 1000 : SETTLE_AFTER_WORK_MS);
    const restarted = await processFigures(agent.child.pid as number);
    figures.push({
      name: `agent restart until ready with ${count} records spooled`,
      value: restartMs,
      unit: 'ms',
      target: spooled === 200_000 ? '≤ 2,000 ms' : '',
      baseline: { name: 'bare Node process start', value: await bareNodeStartMs() },
    });
    figures.push({
      name: `agent RSS after that restart (${count} records recovered)`,
      value: restarted.rssMiB,
      unit: 'MiB',
      target: spooled === 200_000 ? '≤ 100 MiB' : '',
      baseline: { name: 'bare idle Node process', value: bare.rssMiB },
    });
    figures.push({ name: `agent peak RSS during that restart`, value: restarted.peakRssMiB, unit: 'MiB' });
  } finally {
    await agent.stop();
  }
}

/** From spawn until a bare Node process has run its first line: the floor of any restart. */
async function bareNodeStartMs(): Promise<number> {
  const started = Date.now();
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("ready\\n")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('error', reject);
  });
  const elapsed = Date.now() - started;
  await new Promise((resolve) => child.once('exit', resolve));
  return elapsed;
}

async function durableWrites(work: string): Promise<void> {
  progress('bare fsync loops');
  const record = Buffer.alloc(600, 0x61);
  const total = scale(3000);
  const perFile = await bareFsyncLoop({ dir: await mkdtemp(path.join(work, 'fsync-')), record, total });
  const append = await bareAppendSyncLoop({ file: path.join(work, 'append.log'), record, total });
  figures.push({ name: 'bare write+fsync+rename', value: perFile.perSecond, unit: 'records/s' });
  figures.push({ name: 'bare append+fdatasync', value: append.perSecond, unit: 'records/s' });
}

function policyScale(): void {
  progress('compiling a 1,000-route policy');
  const repeats = quick ? 3 : 10;
  const { compileMs, validateAndCompileMs } = measureCompile(1000, repeats);
  const json = { name: 'JSON round trip of the policy', value: measureJsonRoundTrip(1000, repeats) };
  figures.push({ name: 'compile 1,000-route policy', value: compileMs, unit: 'ms', target: '≤ 200 ms', baseline: json });
  figures.push({ name: 'validate + compile 1,000-route policy', value: validateAndCompileMs, unit: 'ms', target: '≤ 200 ms', baseline: json });
  // Validation must stay linear in the routes (issue 16): 10,000 in about a second.
  for (const routes of [10_000, 30_000]) {
    progress(`validating and compiling a ${routes.toLocaleString('en-US')}-route policy`);
    const large = measureCompile(routes, quick ? 1 : 3);
    figures.push({
      name: `validate + compile ${routes.toLocaleString('en-US')}-route policy`,
      value: large.validateAndCompileMs,
      unit: 'ms',
      ...(routes === 10_000 ? { target: '≤ 1,000 ms' } : {}),
      baseline: { name: 'JSON round trip of the policy', value: measureJsonRoundTrip(routes, quick ? 1 : 3) },
    });
  }
  const decisions = scale(500_000);
  figures.push({
    name: 'routing decisions/s (1,000 routes)',
    value: measureRouting(1000, decisions).perSecond,
    unit: 'decisions/s',
    baseline: { name: 'plain Map lookups', value: measureMapLookups(decisions).perSecond },
  });
}

async function simulateFigure(work: string): Promise<void> {
  const count = scale(1_000_000);
  progress(`telem simulate: ${count.toLocaleString('en-US')} records through a 50-route policy`);
  const { perSecond, bareParsePerSecond } = await measureSimulate(work, count);
  figures.push({
    name: `simulate records/s (${count.toLocaleString('en-US')} records, 50 routes)`,
    value: perSecond,
    unit: 'records/s',
    target: '≥ 1/3 of the bare parse loop',
    baseline: { name: 'readline + JSON.parse of the same NDJSON', value: bareParsePerSecond },
  });
}

async function collectorFigures(work: string, tools: FloodTools | null): Promise<void> {
  const total = scale(20_000);
  progress('bare HTTP server for the collector baseline');
  const bare = await bareHttpServer({ load: (url) => httpFloodLoad({ tools, work, url, posts: benchPosts('v3', total), concurrency: 16 }) });
  figures.push({ name: 'bare HTTP 201 server (keep-alive)', value: bare.perSecond, unit: 'requests/s' });
  const databases: BenchDatabase[] = [];
  const backends: [string, (root: string, name: string) => Promise<string>][] = [['SQLite', (_root, name) => Promise.resolve(`sqlite:/var/lib/telem/${name}.db`)]];
  const postgres = process.env.TELEM_TEST_POSTGRES_URL;
  if (postgres) {
    backends.push([
      'PostgreSQL',
      async (_root, name) => {
        const database = await freshBenchDatabase(postgres, name);
        databases.push(database);
        return database.url;
      },
    ]);
  } else progress('PostgreSQL ingest skipped: set TELEM_TEST_POSTGRES_URL (bash .ci/provision.sh prints one)');
  try {
    for (const [backend, db] of backends) {
      for (const protocol of ['v3', 'v2'] as const) {
        progress(`collector ingest, ${protocol}, ${backend}`);
        const root = await mkdtemp(path.join(work, 'collector-'));
        const result = await collectorIngest({ tools, work: root, db: await db(root, `ingest-${protocol}`), protocol, total, concurrency: 16 });
        figures.push({
          name: `collector ingest ${protocol} (${backend}, keep-alive)`,
          value: result.perSecond,
          unit: 'records/s',
          target: '≥ 0.4× bare HTTP 201 server',
          baseline: { name: 'bare HTTP 201 server', value: bare.perSecond },
        });
      }
      for (const perRequest of [100, 1000]) {
        progress(`collector batch ingest, ${perRequest} records a request, ${backend}`);
        const root = await mkdtemp(path.join(work, 'collector-'));
        const result = await collectorBatchIngest({ tools, work: root, db: await db(root, `batch-${perRequest}`), total: scale(100_000), perRequest, concurrency: 4 });
        figures.push({
          name: `collector batch ingest, ${perRequest.toLocaleString('en-US')} records a request (${backend}, keep-alive)`,
          value: result.perSecond,
          unit: 'records/s',
          target: `≥ ${backend === 'SQLite' ? '20,000' : '10,000'} records/s, ≥ 1.5× bare HTTP 201 server`,
          baseline: { name: 'bare HTTP 201 server (requests/s)', value: bare.perSecond },
        });
      }
      progress(`collector ingest during the heaviest queries and exports, ${backend}`);
      const root = await mkdtemp(path.join(work, 'collector-'));
      const during = await ingestDuringQueries({ root, db: await db(root, 'queries'), count: scale(200) });
      figures.push({
        name: `collector slowest v3 answer during heaviest queries + export (${backend}, 20,000 records)`,
        value: during.busyMs,
        unit: 'ms',
        target: '< 1,000 ms',
        baseline: { name: 'slowest v3 answer, idle', value: during.idleMs },
      });
    }
  } finally {
    for (const database of databases) await database.drop();
  }
}

/** Socket → agent → collector (SQLite), with `protocol` from the agent to the collector; the bare socket reader alongside. */
async function endToEnd(work: string, tools: FloodTools | null, protocol: 'telem' | 'v3'): Promise<void> {
  progress(`end to end: socket → agent → collector (SQLite), protocol ${protocol}`);
  const root = await mkdtemp(path.join(work, `e2e-${protocol}-`));
  const collector = await startBenchCollector({ root, db: 'sqlite:/var/lib/telem/e2e.db' });
  const total = scale(10_000);
  const url = new URL(protocol === 'telem' ? 'telem/v1/records' : 'v3/collector', collector.url).href;
  try {
    const agent = await startBenchAgent({
      root,
      policyYaml: agentPolicy('batch').replace('destinations: { local: { type: local } }', `destinations: { local: { type: http, protocol: ${protocol}, url: "${url}" } }`),
    });
    // Each record carries "index-sendtime" (filled in by the load generator): distinct records, measurable latency.
    const frame = testFrame({ payload: `e2e ${FLOOD_MARKER}` });
    const load = (socketPath: string) => floodLoad({ tools, work, path: socketPath, frame, total, concurrency: 16, inFlight: BENCH_IN_FLIGHT });
    try {
      const bare = await bareSocketReader({ dir: work, load });
      const started = Date.now();
      await load(agent.socketPath);
      const finished = await waitForCount(
        () => agent.counter(/^telem_records_settled_total.*outcome="delivered"/),
        total,
        300_000,
        () => agent.counter(/^telem_intake_refused_total/),
      );
      figures.push({
        name: `end to end records/s, protocol ${protocol} (socket → collector on SQLite)`,
        value: total / ((finished - started) / 1000),
        unit: 'records/s',
        target: protocol === 'telem' ? '≥ 0.7× bare' : '≥ 5,000 records/s',
        baseline: { name: 'bare unix-socket reader', value: bare.perSecond },
      });
    } finally {
      await agent.stop();
    }
    const latencies: number[] = [];
    const response = await collector.read(`api/records?format=ndjson&classification=${encodeURIComponent('org.example/probe/test')}`);
    for (const line of (await response.text()).split('\n')) {
      if (!line) continue;
      const record = JSON.parse(line) as { payload: string; received_at: string };
      const sent = /^e2e \d{10}-(\d{13})$/.exec(record.payload)?.[1];
      if (sent !== undefined) latencies.push(Date.parse(record.received_at) - Number(sent));
    }
    latencies.sort((a, b) => a - b);
    figures.push({ name: `end to end latency p50, protocol ${protocol}`, value: percentile(latencies, 0.5), unit: 'ms' });
    figures.push({ name: `end to end latency p99, protocol ${protocol}`, value: percentile(latencies, 0.99), unit: 'ms' });
  } finally {
    await collector.stop();
  }
}

function render(): string {
  const rows = figures.map((figure) => [figure.name, `${formatValue(figure.value)} ${figure.unit}`, figure.target ?? '', baselineCell(figure)]);
  const header = ['figure', 'value', 'target', 'vs raw baseline'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const work = await mkdtemp(path.join(os.tmpdir(), 'telem-bench-'));
try {
  if (runs('policy')) policyScale();
  if (runs('simulate')) await simulateFigure(work);
  if (runs('fsync')) await durableWrites(work);
  const tools = await buildFloodTools(work);
  if (tools === null) progress('no C compiler: the Node load generators are used, and they may be the limit measured');
  if (runs('intake')) await intake(work, tools);
  if (runs('e2e')) for (const protocol of ['telem', 'v3'] as const) await endToEnd(work, tools, protocol);
  if (runs('collector')) await collectorFigures(work, tools);
  if (runs('memory')) await memory(work, tools);
} finally {
  await rm(work, { recursive: true, force: true });
}
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
if (args.has('--json')) {
  const withRatios = figures.map((figure) => ({ ...figure, ...(figure.baseline ? { ratio: figure.value / figure.baseline.value } : {}) }));
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), machine, quick, ...(note === undefined ? {} : { note }), figures: withRatios }, null, 2)}\n`);
} else {
  process.stdout.write(`telem benchmarks — ${new Date().toISOString().slice(0, 10)} — ${machine}${quick ? ' (quick)' : ''}\n\n${render()}\n`);
}
