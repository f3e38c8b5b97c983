/** The heartbeat probe on a virtual clock: when heartbeats go, what they say, and a schedule kept across restarts. */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TelemError } from '../../engine/errors/telem-error.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { HEARTBEAT_STATE_FILE, createHeartbeatProbe } from '../../engine/probes/heartbeat/probe.js';
import type { ProbeContext, ProbeEvent, ProbeSettings } from '../../engine/probes/probe.js';
import { capturingLogger } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

function heartbeatSettings(overrides: Record<string, unknown> = {}): ProbeSettings['heartbeat'] {
  const { policy, diagnostics } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'hb' },
    collection: { probes: { heartbeat: { enabled: true, ...overrides } } },
  });
  assert.ok(policy, JSON.stringify(diagnostics));
  return policy.collection.probes.heartbeat;
}

interface Bench {
  readonly root: string;
  readonly stateDir: string;
  readonly clock: VirtualClock;
  /** Each event with the virtual time it was handed in at. */
  readonly sent: { readonly at: number; readonly event: ProbeEvent }[];
  readonly logs: () => Record<string, unknown>[];
  context(emit?: ProbeContext['emit']): ProbeContext;
}

async function bench(t: TestContext): Promise<Bench> {
  const root = await tempDir(t);
  const stateDir = path.join(root, 'var/lib/telem/probes/heartbeat');
  await mkdir(stateDir, { recursive: true });
  const clock = new VirtualClock(START);
  const sent: { at: number; event: ProbeEvent }[] = [];
  const { logger, lines } = capturingLogger();
  return {
    root,
    stateDir,
    clock,
    sent,
    logs: lines,
    context: (emit) => ({
      root,
      logger,
      stateDir,
      clock,
      emit:
        emit ??
        (async (event) => {
          sent.push({ at: clock.now(), event });
          return true;
        }),
    }),
  };
}

const lastSentFile = (b: Bench) => path.join(b.stateDir, HEARTBEAT_STATE_FILE);
const times = (b: Bench) => b.sent.map((s) => (s.at - START) / HOUR);

test('heartbeat: the first goes within random_delay of the start, with the payload of hprobe -Hlu and the settings’ classification and severity', async (t) => {
  const b = await bench(t);
  // random() = 0.5: half of the 6h random delay.
  const probe = createHeartbeatProbe({ random: () => 0.5 }).start(heartbeatSettings(), b.context());
  await b.clock.advanceSettled(3 * HOUR - 1);
  assert.equal(b.sent.length, 0);
  await b.clock.advanceSettled(1);
  assert.deepEqual(times(b), [3]);
  const event = b.sent[0]?.event;
  assert.equal(event?.classification, 'org.clearlinux/heartbeat/ping');
  assert.equal(event?.severity, 1);
  assert.match(event?.payload ?? '', /^hello\nLC_ALL: [^\n]+\nuptime: \d+\n$/);
  await probe.stop();
  assert.equal(b.clock.pending().length, 0, 'a stopped heartbeat leaves no timer');
});

test('heartbeat: with real randomness the first comes within random_delay, the next between every and every + random_delay later', async (t) => {
  const b = await bench(t);
  const probe = createHeartbeatProbe().start(heartbeatSettings({ every: '24h', random_delay: '6h' }), b.context());
  await b.clock.advanceSettled(6 * HOUR);
  assert.equal(b.sent.length, 1);
  const [first] = times(b) as [number];
  // Now at 6h; just before first + 24h, then first + 30h.
  await b.clock.advanceSettled((first + 24 - 6) * HOUR - 1);
  assert.equal(b.sent.length, 1, 'nothing before every has passed');
  await b.clock.advanceSettled(6 * HOUR + 1);
  assert.equal(b.sent.length, 2);
  const gap = (times(b)[1] as number) - first;
  assert.ok(gap >= 24 && gap <= 30, `gap ${gap}h`);
  await probe.stop();
});

test('heartbeat: the next is due every after the last and waits its own random delay; the time sent is kept in the state directory', async (t) => {
  const b = await bench(t);
  const probe = createHeartbeatProbe({ random: () => 0.5 }).start(heartbeatSettings(), b.context());
  await b.clock.advanceSettled(3 * HOUR);
  assert.deepEqual(JSON.parse(await readFile(lastSentFile(b), 'utf8')), { format_version: 1, last_sent_at: '2026-01-01T03:00:00.000Z' });
  // 3h + 24h + 3h.
  await b.clock.advanceSettled(27 * HOUR - 1);
  assert.deepEqual(times(b), [3]);
  await b.clock.advanceSettled(1);
  assert.deepEqual(times(b), [3, 30]);
  await probe.stop();
});

test('heartbeat: a restarted agent keeps the schedule (no heartbeat at every start); one that fell due while it was down goes after a fresh random delay', async (t) => {
  const b = await bench(t);
  const definition = createHeartbeatProbe({ random: () => 0.5 });
  const settings = heartbeatSettings();
  const first = definition.start(settings, b.context());
  await b.clock.advanceSettled(3 * HOUR);
  await first.stop();
  assert.deepEqual(times(b), [3]);

  // Restarts before the next is due send nothing: due at 27h, then the 3h delay.
  for (let restart = 0; restart < 3; restart += 1) {
    const again = definition.start(settings, b.context());
    await b.clock.advanceSettled(HOUR);
    await again.stop();
  }
  assert.deepEqual(times(b), [3]);
  const kept = definition.start(settings, b.context());
  await b.clock.advanceSettled(30 * HOUR - 1 - (b.clock.now() - START));
  assert.deepEqual(times(b), [3]);
  await b.clock.advanceSettled(1);
  assert.deepEqual(times(b), [3, 30]);
  await kept.stop();

  // Down from 30h to 60h: the heartbeat due at 54h (+3h) was missed; after the start at 60h it waits a fresh 3h.
  await b.clock.advanceSettled(30 * HOUR);
  const late = definition.start(settings, b.context());
  await b.clock.advanceSettled(3 * HOUR - 1);
  assert.deepEqual(times(b), [3, 30]);
  await b.clock.advanceSettled(1);
  assert.deepEqual(times(b), [3, 30, 63]);
  await late.stop();
});

test('heartbeat: a heartbeat not handed in (the agent stopping) is not recorded as sent, so the next start sends it soon', async (t) => {
  const b = await bench(t);
  const definition = createHeartbeatProbe({ random: () => 0 });
  const refusing = definition.start(
    heartbeatSettings(),
    b.context(() => Promise.reject(new TelemError('probe-stopped', 'stopping'))),
  );
  await b.clock.advanceSettled(0);
  await refusing.stop();
  await assert.rejects(readFile(lastSentFile(b)), { code: 'ENOENT' });
  assert.ok(b.logs().some((line) => line.msg === 'heartbeat not sent'));
  const next = definition.start(heartbeatSettings(), b.context());
  await b.clock.advanceSettled(0);
  assert.deepEqual(times(b), [0]);
  await next.stop();
});

test('heartbeat: a heartbeat the policy refused (emit false) still counts as sent; the next is every later', async (t) => {
  const b = await bench(t);
  let handed = 0;
  const probe = createHeartbeatProbe({ random: () => 0 }).start(
    heartbeatSettings({ every: '1h' }),
    b.context(async () => {
      handed += 1;
      return false;
    }),
  );
  await b.clock.advanceSettled(HOUR - 1);
  assert.equal(handed, 1);
  await b.clock.advanceSettled(1);
  assert.equal(handed, 2);
  await probe.stop();
});

test('heartbeat: a last time in the future (the clock went back) or a state file without a time waits at most every, or sends soon', async (t) => {
  const b = await bench(t);
  const definition = createHeartbeatProbe({ random: () => 0 });
  await writeFile(lastSentFile(b), JSON.stringify({ format_version: 1, last_sent_at: '2027-01-01T00:00:00.000Z' }));
  const future = definition.start(heartbeatSettings({ every: '2h' }), b.context());
  await b.clock.advanceSettled(2 * HOUR - 1);
  assert.deepEqual(times(b), []);
  await b.clock.advanceSettled(1);
  assert.deepEqual(times(b), [2]);
  await future.stop();

  await writeFile(lastSentFile(b), 'not json');
  const broken = definition.start(heartbeatSettings({ every: '2h' }), b.context());
  await b.clock.advanceSettled(0);
  assert.deepEqual(times(b), [2, 2]);
  assert.ok(b.logs().some((line) => line.msg === 'the file of the last heartbeat holds no time; sending one soon'));
  await broken.stop();
});

test('heartbeat: an every under a second is raised to one second, with a warning', async (t) => {
  const b = await bench(t);
  const probe = createHeartbeatProbe({ random: () => 0 }).start(heartbeatSettings({ every: '0s', random_delay: '0s' }), b.context());
  await b.clock.advanceSettled(10_000);
  assert.equal(b.sent.length, 11, 'at 0 s, 1 s, … 10 s');
  assert.ok(b.logs().some((line) => line.msg === 'heartbeat every 0 ms is too often: one every 1000 ms instead'));
  await probe.stop();
});

test('heartbeat: locale, uptime, bundles, classification and severity come from the settings', async (t) => {
  const b = await bench(t);
  const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG };
  process.env.LC_ALL = 'de_DE.UTF-8';
  t.after(() => Object.assign(process.env, saved));
  const definition = createHeartbeatProbe({ random: () => 0 });
  const once = (overrides: Record<string, unknown>) => definition.once(heartbeatSettings(overrides), { root: b.root });
  assert.deepEqual(await once({ uptime: false }), [{ classification: 'org.clearlinux/heartbeat/ping', severity: 1, payload: 'hello\nLC_ALL: de_DE.UTF-8\n' }]);
  assert.deepEqual(await once({ locale: false, uptime: false, classification: 'org.example/fleet/alive', severity: 3 }), [
    { classification: 'org.example/fleet/alive', severity: 3, payload: 'hello\n' },
  ]);
  await assert.rejects(once({ locale: false, uptime: false, bundles: true }), (error: unknown) => error instanceof TelemError && error.code === 'system');
  for (const name of ['os-core', 'editors', '.MoM']) await mkdir(path.join(b.root, 'usr/share/clear/bundles', name), { recursive: true });
  assert.equal((await once({ locale: false, uptime: false, bundles: true }))[0]?.payload, 'hello\n\nBundles (2):\neditors\nos-core\n');
});

test('heartbeat: inside the agent, a bundle directory that cannot be listed costs the list, not the heartbeat', async (t) => {
  const b = await bench(t);
  const probe = createHeartbeatProbe({ random: () => 0 }).start(heartbeatSettings({ locale: false, uptime: false, bundles: true }), b.context());
  await b.clock.advanceSettled(0);
  // Listing the directory is real I/O on the thread pool: wait (in real time) for the heartbeat it ends in.
  for (const until = Date.now() + 5000; b.sent.length === 0 && Date.now() < until;) await sleep(5);
  assert.deepEqual(
    b.sent.map((s) => s.event.payload),
    ['hello\n'],
  );
  assert.ok(b.logs().some((line) => line.msg === `heartbeat sent without the bundle list: cannot list the bundles in ${b.root}/usr/share/clear/bundles: ENOENT`));
  await probe.stop();
});
