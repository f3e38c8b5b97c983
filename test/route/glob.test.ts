import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classificationMatches, globCovers } from '../../engine/route/glob.js';

test('classification patterns: "*" matches every classification', () => {
  assert.ok(classificationMatches('*', 'org.clearlinux/crash/clr'));
  assert.ok(classificationMatches('*', 'a//c'));
});

test('classification patterns: segment wildcards match within one segment only', () => {
  assert.ok(classificationMatches('org.clearlinux/crash/*', 'org.clearlinux/crash/clr'));
  assert.ok(classificationMatches('*/journal/*', 'org.clearlinux/journal/error'));
  assert.ok(classificationMatches('org.*/crash/c?r', 'org.clearlinux/crash/clr'));
  assert.ok(!classificationMatches('org.clearlinux/crash/*', 'org.clearlinux/kernel/bug'));
  assert.ok(!classificationMatches('org.clearlinux/crash', 'org.clearlinux/crash/clr'));
});

test('classification patterns: a shorter pattern ending in "*" covers the deeper segments', () => {
  assert.ok(classificationMatches('org.clearlinux/*', 'org.clearlinux/crash/clr'));
  assert.ok(!classificationMatches('org.clearlinux/*', 'org.example/crash/clr'));
});

test('classification patterns: covering is decided per segment', () => {
  assert.ok(globCovers('*', 'org.clearlinux/crash/*'));
  assert.ok(globCovers('org.clearlinux/*', 'org.clearlinux/crash/clr'));
  assert.ok(globCovers('org.clearlinux/crash/*', 'org.clearlinux/crash/cl*'));
  assert.ok(globCovers('*/crash/*', 'org.clearlinux/crash/clr'));
  assert.ok(!globCovers('org.clearlinux/crash/clr', 'org.clearlinux/crash/*'));
  assert.ok(!globCovers('org.clearlinux/crash/*', '*'));
  assert.ok(!globCovers('org.clearlinux/crash/c*', 'org.clearlinux/crash/*'));
  assert.ok(!globCovers('a/b/c', 'a/*'));
});
