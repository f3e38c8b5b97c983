import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterCrash, pathFromCorePattern } from '../../../engine/probes/crashes/privacy-filter.js';
import { crashesProbe } from '../../../engine/probes/crashes/probe.js';
import { filteredEvent } from '../../../engine/probes/crashes/report.js';
import { crashSettings } from './settings.js';

const UPSTREAM = crashSettings().full_reports;

test("privacy filter, upstream's prefixes: /usr/ takes full reports, /usr/local/ and everything outside /usr/ are third parties", () => {
  assert.deepEqual(
    ['/usr/bin/gedit', '/usr/libexec/gvfsd', '/usr/local/bin/tool', '/opt/vendor/app', '/home/me/a.out', '/usr', '/usrlocal/x'].map((file) => [file, filterCrash(file, UPSTREAM)]),
    [
      ['/usr/bin/gedit', 'full'],
      ['/usr/libexec/gvfsd', 'full'],
      ['/usr/local/bin/tool', 'third-party'],
      ['/opt/vendor/app', 'third-party'],
      ['/home/me/a.out', 'third-party'],
      ['/usr', 'third-party'],
      ['/usrlocal/x', 'third-party'],
    ],
  );
});

test('privacy filter: a program built under /builddir/build/BUILD/ is a Clear package build wherever that directory is, before any prefix is looked at', () => {
  assert.equal(filterCrash('/builddir/build/BUILD/glibc-2.39/elf/ld.so', UPSTREAM), 'clr-build');
  assert.equal(filterCrash('/usr/builddir/build/BUILD/x/test', UPSTREAM), 'clr-build');
  assert.equal(filterCrash('/var/lib/mock/clear/root/builddir/build/BUILD/x/test', { paths: ['/var/lib/mock/'], except: [] }), 'clr-build');
  assert.equal(filterCrash('/builddir/build/BUILDS/x', UPSTREAM), 'third-party');
});

test('privacy filter: full_reports.paths and .except are the prefixes, several of each', () => {
  const fullReports = { paths: ['/usr/', '/opt/app/'], except: ['/usr/local/', '/opt/app/plugins/'] };
  assert.equal(filterCrash('/opt/app/bin/app', fullReports), 'full');
  assert.equal(filterCrash('/opt/app/plugins/p', fullReports), 'third-party');
  assert.equal(filterCrash('/opt/other/bin', fullReports), 'third-party');
  assert.equal(filterCrash('/usr/bin/x', fullReports), 'full');
  assert.equal(filterCrash('/usr/local/bin/x', fullReports), 'third-party');
  assert.equal(filterCrash('/usr/bin/x', { paths: [], except: [] }), 'third-party');
  assert.equal(filterCrash('/anything', { paths: ['/'], except: [] }), 'full');
});

test("privacy filter: the kernel's %E has ! for /, turned back before the filter", () => {
  assert.equal(pathFromCorePattern('!usr!bin!gedit'), '/usr/bin/gedit');
  assert.equal(filterCrash(pathFromCorePattern('!usr!local!bin!tool'), UPSTREAM), 'third-party');
});

test("filtered crashes are sent as upstream's fixed payloads: crash/clr-build and crash/unknown, severity 2; a full report is not filtered", () => {
  const settings = crashSettings();
  assert.deepEqual(filteredEvent('/builddir/build/BUILD/pkg/t', settings), {
    classification: 'org.clearlinux/crash/clr-build',
    severity: 2,
    payload: 'Crash from Clear package build\n',
    payloadVersion: 1,
  });
  assert.deepEqual(filteredEvent('/opt/x', settings), { classification: 'org.clearlinux/crash/unknown', severity: 2, payload: 'Crash from third party\n', payloadVersion: 1 });
  assert.equal(filteredEvent('/usr/bin/x', settings), null);
});

test('crashesProbe.classifications: all four, or only the filtered two when no prefix takes full reports', () => {
  assert.deepEqual(crashesProbe.classifications(crashSettings()), [
    'org.clearlinux/crash/clr',
    'org.clearlinux/crash/clr-build',
    'org.clearlinux/crash/unknown',
    'org.clearlinux/crash/error',
  ]);
  assert.deepEqual(crashesProbe.classifications(crashSettings({ full_reports: { paths: [] } })), ['org.clearlinux/crash/clr-build', 'org.clearlinux/crash/unknown']);
});
