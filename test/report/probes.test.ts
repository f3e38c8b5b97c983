/** The probes of telem report, with definitions of the test's own: probes that pick their severity per record, and probes this build lacks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../../engine/compile/compile.js';
import { placesOf } from '../../engine/explain/policy-places.js';
import type { ProbeDefinition } from '../../engine/probes/probe.js';
import { formatReportText } from '../../engine/report/format-text.js';
import { reportPolicy } from '../../engine/report/report.js';
import { probeSchedule, reportProbes } from '../../engine/report/probes.js';
import { validatePolicyValue } from '../../engine/validate/validate.js';

function policyOf(collection: Record<string, unknown>) {
  const { policy, diagnostics } = validatePolicyValue({
    apiVersion: 'telem/v1',
    kind: 'Policy',
    metadata: { name: 'probes' },
    consent: { require_opt_in: false },
    collection,
    destinations: { central: { type: 'http', url: 'https://central.example/v3/collector' }, local: { type: 'local' } },
    routes: [
      { name: 'bugs', match: { classification: 'org.clearlinux/kernel/bug', min_severity: 4 }, to: ['central'] },
      { name: 'kernel', match: { classification: 'org.clearlinux/kernel/*' }, to: ['local'] },
    ],
  });
  assert.ok(policy, JSON.stringify(diagnostics));
  return policy;
}

const kernel: ProbeDefinition<'kernel'> = {
  name: 'kernel',
  summary: 'test kernel probe',
  classifications: (settings) => ['org.clearlinux/kernel/warning', 'org.clearlinux/kernel/bug', ...(settings.modules ? [] : ['org.clearlinux/kernel/nomodules'])],
  start: () => ({ stop: async () => undefined }),
  once: async () => [],
};

test('report probes: a probe without a severity setting is shown at every severity, severities with the same fate together', () => {
  const policy = policyOf({ min_severity: 2, probes: { kernel: { enabled: true }, journal: { enabled: true, units: ['sshd.service'], exclude_identifiers: ['sudo'] } } });
  const probes = reportProbes(compilePolicy(policy), placesOf(null), { kernel });
  const report = {
    ...reportPolicy(policy, placesOf(null), { requireOptIn: false, optedIn: false, allowed: true, optInFile: '/etc/telemetrics/opt-in', machineId: 'rotating', rotateEvery: '3d' }),
    probes,
  };
  const text = formatReportText(report, null);
  assert.ok(
    text.includes(
      '\n\nBuilt-in probes enabled (collection.probes):\n' +
        '  kernel: reads /dev/kmsg as the kernel writes it, module lists included\n' +
        '      org.clearlinux/kernel/warning, severity set per record:\n' +
        '        severity 1 → not collected: below collection.min_severity 2\n' +
        '        severity 2-4 → route kernel → local\n' +
        '      org.clearlinux/kernel/bug, severity set per record:\n' +
        '        severity 1 → not collected: below collection.min_severity 2\n' +
        '        severity 2-3 → route kernel → local\n' +
        '        severity 4 → route bugs → central\n' +
        '  journal: entries of this boot\'s journal of priority 3 or more urgent, of units "sshd.service", never identifiers "sudo"\n' +
        '      not in this build of telem: it does not run\n\n',
    ),
    text,
  );
});

test('report probes: the schedule of every probe is said in the words of its settings', () => {
  const { probes } = policyOf({
    probes: {
      pstore: { remove_after_report: true, every: '30m' },
      crashes: { full_reports: { paths: ['/usr/', '/opt/app/'], except: [] } },
      journal: { max_priority: 4, identifiers: ['kernel'] },
    },
  }).collection;
  const all = policyOf({}).collection.probes;
  assert.deepEqual(
    [probeSchedule('heartbeat', all), probeSchedule('kernel', all), probeSchedule('bert', all)],
    ['every 1d, after a random delay up to 6h', 'reads /dev/kmsg as the kernel writes it, module lists included', 'reads /sys/firmware/acpi/tables/data/BERT once per boot'],
  );
  assert.equal(probeSchedule('pstore', probes), 'reads /sys/fs/pstore at start and every 30m, deleting each entry once its record is spooled');
  assert.equal(
    probeSchedule('crashes', probes),
    'each crash the kernel hands to telem crash-report (installed by telem crash-report --install); backtraces for programs under "/usr/", "/opt/app/"',
  );
  assert.equal(
    probeSchedule('crashes', all),
    'each crash the kernel hands to telem crash-report (installed by telem crash-report --install); backtraces for programs under "/usr/" except "/usr/local/"',
  );
  assert.equal(probeSchedule('journal', probes), 'entries of this boot\'s journal of priority 4 or more urgent, with identifiers "kernel"');
});
