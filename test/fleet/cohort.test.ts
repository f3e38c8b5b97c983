/** Cohorts for staged rollouts: shares that match their percent, monotonic in the percent, independent per rollout, from a seed kept 0600 under the root. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { BUCKETS, cohortBucket, inCohort } from '../../engine/fleet/cohort.js';
import { COHORT_SEED_FILE, cohortSeed } from '../../engine/fleet-agent/cohort-seed.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// Fixed but random-looking seeds: the shares are a property of the hash, and the test gives the same answer every run.
const SEEDS = Array.from({ length: 10_000 }, (_, index) => createHash('sha256').update(`seed ${index}`).digest('hex').slice(0, 32));

test('cohort: over 10,000 seeds every percent takes its share of machines within ±1%', () => {
  const buckets = SEEDS.map((seed) => cohortBucket(seed, 'rollout-a'));
  for (const bucket of buckets) assert.ok(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKETS, `bucket ${bucket} out of 0…${BUCKETS - 1}`);
  for (const percent of [0.5, 1, 5, 10, 25, 33.3, 50, 75, 90, 99, 100]) {
    const share = (buckets.filter((bucket) => inCohort(bucket, percent)).length / buckets.length) * 100;
    assert.ok(Math.abs(share - percent) <= 1, `${percent}%: ${share.toFixed(2)}% of the machines`);
  }
  assert.equal(buckets.filter((bucket) => inCohort(bucket, 0)).length, 0, '0% takes no machine');
});

test('cohort: a machine in at p is in at every q > p (raising the percent only adds machines)', () => {
  const percents = Array.from({ length: 201 }, (_, index) => index / 2);
  for (const seed of SEEDS.slice(0, 2000)) {
    const bucket = cohortBucket(seed, 'rollout-a');
    let inBefore = false;
    for (const percent of percents) {
      const inNow = inCohort(bucket, percent);
      assert.ok(!inBefore || inNow, `seed ${seed} (bucket ${bucket}) is in below ${percent}% but not at it`);
      inBefore = inNow;
    }
    assert.ok(inBefore, 'every machine is in at 100%');
  }
});

test('cohort: different rollouts pick independent cohorts, and the bucket is the documented sha256 rule', () => {
  const a = SEEDS.map((seed) => inCohort(cohortBucket(seed, 'rollout-a'), 10));
  const b = SEEDS.map((seed) => inCohort(cohortBucket(seed, 'rollout-b'), 10));
  const both = a.filter((inA, index) => inA && b[index]).length / SEEDS.length;
  // Independent: about 10% of 10%, far from the 10% of one cohort reused.
  assert.ok(Math.abs(both - 0.01) < 0.005, `${(both * 100).toFixed(2)}% of the machines are in both 10% cohorts`);
  // bucket = first 48 bits of sha256(JSON.stringify([seed, id])) scaled to 0…9999 (docs of telem fleet cohort), computed here another way.
  for (const seed of SEEDS.slice(0, 100)) {
    const hex = createHash('sha256').update(`["${seed}","rollout-a"]`).digest('hex');
    assert.equal(cohortBucket(seed, 'rollout-a'), Math.floor((parseInt(hex.slice(0, 12), 16) / 2 ** 48) * BUCKETS));
  }
});

test('cohort seed: made once under the root, 32 hex digits, mode 0600, the same at every read; a pinned seed is used as it is', async (t) => {
  const root = await tempDir(t);
  const seed = cohortSeed(root);
  assert.match(seed, /^[0-9a-f]{32}$/);
  const file = path.join(root, COHORT_SEED_FILE);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(cohortSeed(root), seed);
  assert.equal((await readFile(file, 'utf8')).trim(), seed);

  const pinned = await tempDir(t);
  await mkdir(path.dirname(path.join(pinned, COHORT_SEED_FILE)), { recursive: true });
  await writeFile(path.join(pinned, COHORT_SEED_FILE), '0123456789ABCDEF0123456789abcdef\n', { mode: 0o644 });
  assert.equal(cohortSeed(pinned), '0123456789abcdef0123456789abcdef');
  assert.equal((await stat(path.join(pinned, COHORT_SEED_FILE))).mode & 0o777, 0o600, 'a seed readable by others is made private');
});

test('telem fleet cohort: prints the bucket of the seed under --root, the same each time; a damaged seed exits 2 naming the file', async (t) => {
  const root = await tempDir(t);
  const first = await runCli(['--root', root, 'fleet', 'cohort', '--rollout', 'redact-2026', '--format', 'json']);
  assert.equal(first.code, 0, first.stderr);
  const answer = JSON.parse(first.stdout) as { rollout: string; bucket: number; in_above_percent: number };
  assert.equal(answer.bucket, cohortBucket(cohortSeed(root), 'redact-2026'));
  assert.equal(answer.in_above_percent, answer.bucket / 100);
  const text = await runCli(['--root', root, 'fleet', 'cohort', '--rollout', 'redact-2026']);
  assert.equal(text.stdout, `rollout "redact-2026": bucket ${answer.bucket} of 0…9999: this machine takes it in the first step above ${answer.bucket / 100}%\n`);

  await writeFile(path.join(root, COHORT_SEED_FILE), 'not a seed\n');
  const damaged = await runCli(['--root', root, 'fleet', 'cohort', '--rollout', 'redact-2026']);
  assert.equal(damaged.code, 2);
  assert.match(damaged.stderr, /cohort-seed is not a cohort seed \(32 hex digits\)/);

  // A seed that cannot be made (its directory is a file): one line naming it, exit 2, no stack.
  const blocked = await tempDir(t);
  await mkdir(path.join(blocked, 'var/lib'), { recursive: true });
  await writeFile(path.join(blocked, 'var/lib/telem'), 'not a directory');
  const unmakeable = await runCli(['--root', blocked, 'fleet', 'cohort', '--rollout', 'redact-2026']);
  assert.equal(unmakeable.code, 2, unmakeable.stderr);
  assert.match(unmakeable.stderr, /cannot read or make the cohort seed \S+\/var\/lib\/telem\/cohort-seed: ENOTDIR/);
  assert.doesNotMatch(unmakeable.stderr, /\n\s+at /);

  const bad = await runCli(['--root', root, 'fleet', 'cohort', '--rollout', '../x']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /rollout ids use letters, digits/);
});
