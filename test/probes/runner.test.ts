/** The probe runner in-process, with probes of the test's own: what it starts, restarts and stops, and the records it makes. */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { test, type TestContext } from 'node:test';
import { TelemError } from '../../engine/errors/telem-error.js';
import type { ProbeContext, ProbeDefinition, ProbeName, ProbeSettings } from '../../engine/probes/probe.js';
import type { ProbeRegistry } from '../../engine/probes/registry.js';
import { ProbeRunner, probeStateDir } from '../../engine/probes/runner.js';
import type { TelemetryRecord } from '../../engine/record/fields.js';
import type { HostHeaders } from '../../engine/record/host.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';
import { capturingLogger } from '../helpers/intake.js';
import { tempDir } from '../helpers/tmp.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const HOST: HostHeaders = {
  arch: 'x86_64',
  host_type: 'Vendor|Product|1',
  build: '"12"',
  kernel_version: '6.1.0',
  system_name: 'debian',
  board_name: 'Board|Vendor',
  cpu_model: 'A CPU',
  bios_version: '1.0',
};

function probeSettings(probes: Record<string, unknown>): ProbeSettings {
  const { policy, diagnostics } = validatePolicyValue({ apiVersion: 'telem/v1', kind: 'Policy', metadata: { name: 'runner' }, collection: { probes } });
  assert.ok(policy, JSON.stringify(diagnostics));
  return policy.collection.probes;
}

/** A probe that notes each start (with its settings) and stop, and keeps its context for the test to emit through. */
function recordingProbe<N extends ProbeName>(name: N, journal: string[], contexts: ProbeContext[], options: { failStart?: boolean } = {}): ProbeDefinition<N> {
  return {
    name,
    summary: `test probe ${name}`,
    classifications: () => [`org.example/${name}/event`],
    start(settings, context) {
      if (options.failStart) throw new Error(`${name} has no source`);
      journal.push(`start ${name} ${JSON.stringify(settings)}`);
      contexts.push(context);
      return {
        async stop() {
          journal.push(`stop ${name}`);
        },
      };
    },
    once: async () => [],
  };
}

interface Bench {
  readonly runner: ProbeRunner;
  readonly root: string;
  readonly clock: VirtualClock;
  readonly submitted: TelemetryRecord[];
  readonly journal: string[];
  readonly contexts: ProbeContext[];
  readonly logs: () => Record<string, unknown>[];
}

async function bench(t: TestContext, registry: (journal: string[], contexts: ProbeContext[]) => ProbeRegistry, options: { spool?: boolean } = {}): Promise<Bench> {
  const root = await tempDir(t);
  const clock = new VirtualClock(Date.UTC(2026, 2, 1));
  const submitted: TelemetryRecord[] = [];
  const journal: string[] = [];
  const contexts: ProbeContext[] = [];
  const { logger, lines } = capturingLogger();
  const runner = new ProbeRunner({
    root,
    logger,
    host: HOST,
    clock,
    probes: registry(journal, contexts),
    submit: async (record) => {
      submitted.push(record);
      return options.spool ?? true;
    },
  });
  t.after(() => runner.stop());
  return { runner, root, clock, submitted, journal, contexts, logs: lines };
}

const two = (journal: string[], contexts: ProbeContext[]): ProbeRegistry => ({
  kernel: recordingProbe('kernel', journal, contexts),
  journal: recordingProbe('journal', journal, contexts),
});

test('probe runner: starts the enabled probes only, each with a state directory of its own (0700) and the clock it was given', async (t) => {
  const b = await bench(t, two);
  await b.runner.apply(probeSettings({ kernel: { enabled: true } }));
  assert.deepEqual(b.journal, ['start kernel {"enabled":true,"source":"/dev/kmsg","modules":true}']);
  const [context] = b.contexts;
  assert.equal(context?.stateDir, `${b.root}/var/lib/telem/probes/kernel`);
  assert.equal(probeStateDir(b.root, 'kernel'), context?.stateDir);
  assert.equal((await stat(context?.stateDir ?? '')).mode & 0o777, 0o700);
  assert.equal(context?.root, b.root);
  assert.equal(context?.clock, b.clock);
  assert.deepEqual(b.runner.status(), { kernel: { state: 'running', spooled: 0, refused: 0 } });
});

test('probe runner: emit makes a record with the host headers, the event’s classification, severity, payload version and time, and hands it on', async (t) => {
  const b = await bench(t, two);
  await b.runner.apply(probeSettings({ kernel: { enabled: true } }));
  const context = b.contexts[0] as ProbeContext;
  assert.equal(
    await context.emit({ classification: 'org.clearlinux/kernel/warning', severity: 2, payload: 'WARNING: at x\n', payloadVersion: 3, createdAt: new Date('2026-02-01T10:00:00Z') }),
    true,
  );
  assert.equal(await context.emit({ classification: 'org.clearlinux/kernel/bug', severity: 4, payload: 'BUG\n' }), true);
  const [first, second] = b.submitted;
  assert.deepEqual(
    { ...first?.headers, event_id: 'x' },
    {
      record_format_version: '4',
      classification: 'org.clearlinux/kernel/warning',
      severity: '2',
      machine_id: 'FFFFFFFF',
      creation_timestamp: String(Date.parse('2026-02-01T10:00:00Z') / 1000),
      arch: 'x86_64',
      host_type: 'Vendor|Product|1',
      build: '"12"',
      kernel_version: '6.1.0',
      payload_format_version: '3',
      system_name: 'debian',
      board_name: 'Board|Vendor',
      cpu_model: 'A CPU',
      bios_version: '1.0',
      event_id: 'x',
    },
  );
  assert.equal(first?.payload.toString('utf8'), 'WARNING: at x\n');
  assert.match(first?.headers.event_id ?? '', /^[0-9a-f]{32}$/);
  // Without a time of its own: the clock's now; without a payload version: 1.
  assert.equal(second?.headers.creation_timestamp, String(Date.UTC(2026, 2, 1) / 1000));
  assert.equal(second?.headers.payload_format_version, '1');
  assert.deepEqual(b.runner.status(), { kernel: { state: 'running', spooled: 2, refused: 0 } });
  assert.match(b.runner.renderMetrics(), /\ntelem_probe_records_total\{probe="kernel",outcome="spooled"\} 2\ntelem_probe_records_total\{probe="kernel",outcome="refused"\} 0\n$/);
});

test('probe runner: a record refused downstream is false and counted; one the probe got wrong is never handed on, and logged', async (t) => {
  const b = await bench(t, two, { spool: false });
  await b.runner.apply(probeSettings({ kernel: { enabled: true } }));
  const context = b.contexts[0] as ProbeContext;
  assert.equal(await context.emit({ classification: 'org.clearlinux/kernel/warning', severity: 2, payload: 'x\n' }), false);
  assert.equal(b.submitted.length, 1);
  assert.equal(await context.emit({ classification: 'not-three-parts', severity: 2, payload: 'x\n' }), false);
  assert.equal(await context.emit({ classification: 'org.clearlinux/kernel/warning', severity: 2, payload: 'x'.repeat(8193) }), false);
  assert.equal(b.submitted.length, 1, 'invalid records are not handed on');
  assert.deepEqual(b.runner.status(), { kernel: { state: 'running', spooled: 0, refused: 3 } });
  const errors = b.logs().filter((line) => line.level === 50);
  assert.deepEqual(
    errors.map((line) => [line.probe, line.code]),
    [
      ['kernel', 'classification-format'],
      ['kernel', 'payload-too-large'],
    ],
  );
});

test('probe runner: a reload restarts only the probes whose settings changed, stops those turned off, starts those turned on', async (t) => {
  const b = await bench(t, two);
  await b.runner.apply(probeSettings({ kernel: { enabled: true }, journal: { enabled: true } }));
  // Equal settings in another object (a reload of the same file) change nothing.
  await b.runner.apply(probeSettings({ kernel: { enabled: true }, journal: { enabled: true } }));
  assert.equal(b.journal.length, 2);
  b.journal.length = 0;
  await b.runner.apply(probeSettings({ kernel: { enabled: true, modules: false }, journal: { enabled: true } }));
  assert.deepEqual(b.journal, ['stop kernel', 'start kernel {"enabled":true,"source":"/dev/kmsg","modules":false}']);
  b.journal.length = 0;
  await b.runner.apply(probeSettings({ kernel: { enabled: true, modules: false } }));
  assert.deepEqual(b.journal, ['stop journal']);
  assert.deepEqual(Object.keys(b.runner.status()), ['kernel']);
  b.journal.length = 0;
  await b.runner.stop();
  assert.deepEqual(b.journal, ['stop kernel']);
  assert.deepEqual(b.runner.status(), {});
  await b.runner.apply(probeSettings({ journal: { enabled: true } }));
  assert.deepEqual(b.journal, ['stop kernel'], 'a stopped runner starts nothing');
});

test('probe runner: a probe emitting after it was stopped gets probe-stopped, and nothing is handed on', async (t) => {
  const b = await bench(t, two);
  await b.runner.apply(probeSettings({ kernel: { enabled: true } }));
  const context = b.contexts[0] as ProbeContext;
  await b.runner.apply(probeSettings({}));
  await assert.rejects(
    context.emit({ classification: 'org.clearlinux/kernel/warning', severity: 2, payload: 'late\n' }),
    (error: unknown) => error instanceof TelemError && error.code === 'probe-stopped' && error.message === 'probe kernel handed in a record after it was stopped',
  );
  assert.equal(b.submitted.length, 0);
});

test('probe runner: a probe whose start throws is logged with its name and stays off; the others run; a probe not in the build is said to be missing', async (t) => {
  const b = await bench(t, (journal, contexts) => ({
    kernel: recordingProbe('kernel', journal, contexts, { failStart: true }),
    journal: recordingProbe('journal', journal, contexts),
  }));
  await b.runner.apply(probeSettings({ kernel: { enabled: true }, journal: { enabled: true }, bert: { enabled: true } }));
  assert.deepEqual(b.journal, [
    'start journal {"enabled":true,"max_priority":3,"units":[],"identifiers":[],"exclude_identifiers":[],"classification":"org.clearlinux/journal/error","severity":2}',
  ]);
  assert.deepEqual(b.runner.status(), {
    kernel: { state: 'failed', spooled: 0, refused: 0 },
    bert: { state: 'missing', spooled: 0, refused: 0 },
    journal: { state: 'running', spooled: 0, refused: 0 },
  });
  const lines = b.logs();
  const failed = lines.find((line) => line.msg === 'probe kernel cannot start; the agent goes on without it');
  assert.equal(failed?.probe, 'kernel');
  assert.equal((failed?.err as { message?: string } | undefined)?.message, 'kernel has no source');
  assert.ok(lines.some((line) => line.msg === 'probe bert is enabled in the policy but this build of telem does not have it; it does not run'));
});
