/**
 * Crash signatures over HTTP on each backend: GET /api/crashes groups by signature (crash and kernel
 * classifications by default), GET and PUT /api/crash-rules list and replace the skip list, a
 * change regroups the stored records from their stored frames (not their payloads), and collectors
 * sharing a PostgreSQL database agree on the list.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningCollector } from '../../../engine/collector/collector.js';
import { payloadSignature } from '../../../engine/collector/crash/signature.js';
import { DEFAULT_SKIP_RULES, skipList } from '../../../engine/collector/crash/skip-rules.js';
import { RULES_LOCK, replaceRulesStatements } from '../../../engine/collector/storage/crash-rules-sql.js';
import type { CrashesAnswer, CrashRulesAnswer, CrashRulesChangeAnswer, RecordsPage } from '../../../engine/collector/query/answers.js';
import { ADMIN_SETTINGS, ADMIN_TOKEN, type Backend, BACKENDS, type CollectorUrl, freshDatabase, getJson, postV3, startTestCollector, v3Body } from '../collector-helpers.js';
import { KERNEL_BUG, KERNEL_WARNING, LIBC, crashprobePayload, oopsPayload } from '../crash-payloads.js';
import { type RawDatabase, rawDatabase } from '../storage/version-1.js';

let events = 0;
/** POSTs a record (a new event id each time); its 201 answer. */
async function post(collector: CollectorUrl, classification: string, payload: string, machine = 'm1'): Promise<{ id: number; signature: string | null }> {
  events += 1;
  const response = await postV3(collector, v3Body({ classification, machine_id: machine, event_id: events.toString(16).padStart(32, '0') }, payload));
  assert.equal(response.status, 201, response.body.toString());
  return response.json();
}

const app = (name: string) => `${name}() - [/usr/bin/app]`;
const raiseIn = (...functions: string[]) => crashprobePayload([`raise() - ${LIBC}`, `abort() - ${LIBC}`, ...functions.map(app)]);

async function groups(collector: CollectorUrl, query = ''): Promise<[string | null, string | null, number, number][]> {
  const answer = await getJson<CrashesAnswer>(collector, `/api/crashes${query}`);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.groups.map((group) => [group.signature, group.first_frame, group.count, group.machines]);
}

async function putRules(collector: CollectorUrl, body: unknown): Promise<{ status: number; body: CrashRulesChangeAnswer & { message?: string } }> {
  const response = await fetch(new URL('/api/crash-rules', collector.url), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_TOKEN}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as CrashRulesChangeAnswer & { message?: string } };
}

const DEFAULT_PATTERNS = DEFAULT_SKIP_RULES.map((rule) => rule.pattern);

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `GET /api/crashes on ${backend.name}: three crashes whose first frame is raise in libc are three groups by the frames below; a kernel WARNING and a kernel BUG are two more, read by default`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend, settings: ADMIN_SETTINGS });
      const crash = 'org.clearlinux/crash/clr';
      await post(collector, crash, raiseIn('parse_config', 'main'), 'm1');
      await post(collector, crash, raiseIn('parse_config', 'main'), 'm2');
      await post(collector, crash, raiseIn('load_plugin', 'main'), 'm1');
      await post(collector, crash, raiseIn('render_frame', 'draw', 'main'), 'm3');
      await post(collector, 'org.clearlinux/kernel/warning', KERNEL_WARNING);
      await post(collector, 'org.clearlinux/kernel/bug', KERNEL_BUG);
      await post(collector, 'org.clearlinux/hello/world', raiseIn('not_a_crash_record'));

      const raise = `raise() - ${LIBC}`;
      assert.deepEqual(await groups(collector), [
        ['parse_config | main', raise, 2, 2],
        ['mmput | exit_mm | do_exit', '__die - [kernel]', 1, 1],
        ['dev_watchdog | call_timer_fn | run_timer_softirq', 'dump_stack - [kernel]', 1, 1],
        ['render_frame | draw | main', raise, 1, 1],
        ['load_plugin | main', raise, 1, 1],
      ]);
      // A classification filter still narrows them, as before.
      assert.deepEqual(
        (await groups(collector, '?classification=org.clearlinux/kernel/*')).map(([signature]) => signature),
        ['mmput | exit_mm | do_exit', 'dev_watchdog | call_timer_fn | run_timer_softirq'],
      );
      // A group's records are one signature filter away (the UI's click on a group).
      const page = await getJson<RecordsPage>(collector, `/api/records?${new URLSearchParams({ signature: 'parse_config | main' })}`);
      assert.deepEqual(
        page.body.records.map((record) => record.machine_id),
        ['m2', 'm1'],
      );
    },
  );

  test(
    `PUT /api/crash-rules on ${backend.name}: adding do_work to the skip list regroups the stored crashes from their frames, with their payloads overwritten; new crashes get the new list`,
    options,
    async (t) => {
      const database = await freshDatabase(t, backend);
      const collector = await startTestCollector(t, { backend, database, settings: ADMIN_SETTINGS });
      const crash = 'org.clearlinux/crash/clr';
      await post(collector, crash, raiseIn('do_work', 'run_job', 'main'));
      await post(collector, crash, raiseIn('do_work', 'other_job', 'main'));
      await post(collector, crash, raiseIn('handle_request', 'main'));
      await post(collector, crash, 'Process: /usr/bin/app\nCrash from third party\n');
      assert.deepEqual(
        (await groups(collector)).map(([signature, , count]) => [signature, count]),
        [
          [null, 1],
          ['handle_request | main', 1],
          ['do_work | other_job | main', 1],
          ['do_work | run_job | main', 1],
        ],
      );

      // The regroup reads records.frames: payloads without frames would give every record no signature.
      const db = await rawDatabase(database);
      t.after(() => db.close());
      await db.query('UPDATE records SET payload = ?', ['no frames here']);

      const before = await getJson<CrashRulesAnswer>(collector, '/api/crash-rules');
      const changed = await putRules(collector, { rules: [...before.body.rules, { pattern: 'do_work', note: 'our job dispatcher' }] });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.regrouped, 2);
      assert.equal(changed.body.version, before.body.version + 1);
      assert.deepEqual(
        changed.body.rules.map((rule) => rule.pattern),
        [...DEFAULT_PATTERNS, 'do_work'],
      );
      assert.deepEqual(changed.body.rules.slice(0, -1), before.body.rules, 'the rules kept keep their notes and created_at');
      assert.equal(changed.body.rules.at(-1)?.note, 'our job dispatcher');
      assert.deepEqual(await getJson<CrashRulesAnswer>(collector, '/api/crash-rules'), { status: 200, body: { version: changed.body.version, rules: changed.body.rules } });

      assert.deepEqual(
        (await groups(collector)).map(([signature, , count]) => [signature, count]),
        [
          [null, 1],
          ['handle_request | main', 1],
          ['other_job | main', 1],
          ['run_job | main', 1],
        ],
      );
      const payloads = (await getJson<RecordsPage>(collector, '/api/records')).body.records.map((record) => record.payload);
      assert.deepEqual(payloads, Array(4).fill('no frames here'), 'no payload was written');

      const fresh = await post(collector, crash, raiseIn('do_work', 'run_job', 'main'));
      assert.equal(fresh.signature, 'run_job | main', 'a crash received after the change gets the new list');

      // Back to the defaults: the same records regroup back.
      const reverted = await putRules(collector, { rules: DEFAULT_SKIP_RULES });
      assert.deepEqual([reverted.status, reverted.body.regrouped], [200, 3]);
      assert.deepEqual(
        (await groups(collector)).map(([signature, , count]) => [signature, count]),
        [
          ['do_work | run_job | main', 2],
          [null, 1],
          ['handle_request | main', 1],
          ['do_work | other_job | main', 1],
        ],
      );
    },
  );

  test(`GET and PUT /api/crash-rules on ${backend.name}: the default list at version 1; bad bodies and patterns are 400s naming the problem and change nothing`, options, async (t) => {
    const collector = await startTestCollector(t, { backend, settings: ADMIN_SETTINGS });
    const listed = await getJson<CrashRulesAnswer>(collector, '/api/crash-rules');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.version, 1);
    assert.deepEqual(
      listed.body.rules.map(({ pattern, note }) => ({ pattern, note })),
      DEFAULT_SKIP_RULES,
    );
    assert.match(listed.body.rules[0]?.created_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const shape = 'the body should be JSON {"rules": [{"pattern": "raise", "note": "…"}, …]}';
    const refusals: [unknown, string][] = [
      [
        { rules: [{ pattern: 'raise' }, { pattern: 'raise [libc.so.6' }] },
        'rules[1].pattern "raise [libc.so.6" is not a skip rule: it has a module that is not one "[…]" at the end (such as "raise [libc.so.6]")',
      ],
      [{ rules: [{ pattern: '' }] }, 'rules[0].pattern "" is not a skip rule: it is empty'],
      [{ rules: [{ pattern: 'raise' }, { pattern: 'abort' }, { pattern: 'raise' }] }, 'rules[2].pattern "raise" is listed twice (rules[0] too)'],
      [{ rules: [{ pattern: 'raise', note: 'n'.repeat(501) }] }, 'rules[0].note is longer than 500 characters'],
      [{ rules: Array.from({ length: 501 }, (_, index) => ({ pattern: `f${index}` })) }, 'at most 500 rules (this list has 501)'],
      [{ rules: 'raise' }, `${shape}: rules: Invalid input: expected array, received string`],
      [{ rules: [{ pattern: 'raise', regex: true }] }, `${shape}: rules.0: Unrecognized key: "regex"`],
      ['{"rules": [', `${shape}: Unexpected end of JSON input`],
    ];
    for (const [body, message] of refusals) assert.deepEqual(await putRules(collector, body), { status: 400, body: { message } }, message);
    assert.deepEqual((await getJson<CrashRulesAnswer>(collector, '/api/crash-rules')).body, listed.body, 'nothing changed');

    // The rules GET lists can be sent back as they are.
    const same = await putRules(collector, { rules: listed.body.rules });
    assert.deepEqual([same.status, same.body.version, same.body.regrouped], [200, 2, 0]);
    assert.deepEqual(same.body.rules, listed.body.rules);

    const emptied = await putRules(collector, { rules: [] });
    assert.deepEqual([emptied.status, emptied.body.version, emptied.body.rules], [200, 3, []]);

    const post = await fetch(new URL('/api/crash-rules', collector.url), { method: 'POST', body: '{}', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.deepEqual(
      [post.status, post.headers.get('allow'), ((await post.json()) as { message: string }).message],
      [405, 'GET, HEAD, PUT', 'method POST is not allowed here; use GET, HEAD, PUT'],
    );
    assert.deepEqual(await getJson(collector, '/api/crash-rules?all=1'), { status: 400, body: { message: 'unknown query parameter "all"; this endpoint takes none' } });
  });

  test(
    `PUT /api/crash-rules on ${backend.name}: changes made at once${backend.name === 'postgres' ? ' on two collectors sharing the database' : ''}, crashes arriving meanwhile: every record ends with the signature of the list in force`,
    options,
    async (t) => {
      const collectors = await sharedCollectors(t, backend);
      const shapes = [raiseIn('do_work', 'run_job', 'main'), raiseIn('other_job', 'do_work', 'main'), raiseIn('handle_request', 'main'), KERNEL_WARNING];
      // Each collector has read the list once already.
      for (const [index, collector] of collectors.entries()) await post(collector, 'org.clearlinux/crash/clr', shapes[index] as string);
      // Each list gives shapes[0] another signature than the default list and than the others do.
      const lists = [
        [...DEFAULT_PATTERNS, 'do_work'],
        [...DEFAULT_PATTERNS, 'main', 'handle_request', 'run_job'],
        ['abort', 'do_work'],
      ];
      const on = (index: number) => collectors[index % collectors.length] as RunningCollector;
      const changes = lists.map((patterns, index) => putRules(on(index), { rules: patterns.map((pattern) => ({ pattern })) }));
      const crashes = Array.from({ length: 30 }, (_, index) => post(on(index), 'org.clearlinux/crash/clr', shapes[index % shapes.length] as string, `m${index}`));
      for (const change of await Promise.all(changes)) assert.equal(change.status, 200, JSON.stringify(change.body));
      await Promise.all(crashes);

      const final = (await getJson<CrashRulesAnswer>(on(0), '/api/crash-rules')).body;
      assert.equal(final.version, 1 + lists.length);
      const skip = skipList(final.rules.map((rule) => rule.pattern));
      const records = (await getJson<RecordsPage>(on(1), '/api/records?limit=1000')).body.records;
      assert.equal(records.length, collectors.length + 30);
      for (const record of records) assert.equal(record.signature, payloadSignature(record.payload, skip), `record ${record.id} under version ${final.version}`);
      // And each collector, the one that did not make the last change too, computes the next crash's with it.
      for (const collector of collectors) assert.equal((await post(collector, 'org.clearlinux/crash/clr', shapes[0] as string)).signature, payloadSignature(shapes[0] as string, skip));
    },
  );
}

test(
  'crash skip list on PostgreSQL: a crash arriving while another collector changes the list waits for the change and gets the new list; a change waits for the writes under way',
  { skip: BACKENDS[1]?.skip ?? 'no PostgreSQL backend', timeout: 60_000 },
  async (t) => {
    const backend = BACKENDS[1] as Backend;
    const database = await freshDatabase(t, backend);
    const collector = await startTestCollector(t, { backend, database, settings: ADMIN_SETTINGS });
    await post(collector, 'org.clearlinux/crash/clr', raiseIn('do_work', 'run_job', 'main'));
    // Another collector's change, held open: the statements a change runs, under the lock it takes.
    const other = await rawDatabase(database);
    t.after(() => other.close());
    // A failed check ends the held transaction, or dropping the test's schema would wait for it.
    await holding(other, () => changeHeld(other, collector));
    await holding(other, () => writeHeld(other, collector));
  },
);

/** Runs `work` (which opens a transaction on `db`), rolling the transaction back when a check fails. */
async function holding(db: RawDatabase, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Whether a promise has settled yet. */
function settled(promise: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  void promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

async function changeHeld(other: RawDatabase, collector: CollectorUrl): Promise<void> {
  await other.query('BEGIN');
  await other.query('SELECT pg_advisory_xact_lock(?)', [RULES_LOCK]);
  for (const statement of replaceRulesStatements([...DEFAULT_SKIP_RULES, { pattern: 'do_work' }], Date.now())) await other.query(statement.sql, statement.params);
  const crash = post(collector, 'org.clearlinux/crash/clr', raiseIn('do_work', 'run_job', 'main'));
  const crashState = settled(crash);
  await sleep(300);
  assert.equal(crashState.done, false, 'the crash waits for the change');
  await other.query('COMMIT');
  assert.equal((await crash).signature, 'run_job | main', 'and is signed with the new list');
}

async function writeHeld(other: RawDatabase, collector: CollectorUrl): Promise<void> {
  // A write under way (an insert or regroup batch of another collector), held open: a change waits
  // for it, so the regroup after the change sees what it wrote (here a signature no list gives).
  await other.query('BEGIN');
  await other.query('SELECT pg_advisory_xact_lock_shared(?)', [RULES_LOCK]);
  const change = putRules(collector, { rules: DEFAULT_SKIP_RULES });
  const changeState = settled(change);
  await sleep(300);
  assert.equal(changeState.done, false, 'the change waits for the write');
  await other.query('UPDATE records SET signature = ? WHERE id = (SELECT MIN(id) FROM records)', ['stale']);
  await other.query('COMMIT');
  assert.deepEqual([(await change).status, (await change).body.regrouped], [200, 2]);
  assert.deepEqual(
    (await groups(collector)).map(([signature, , count]) => [signature, count]),
    [['do_work | run_job | main', 2]],
  );
}

/** One collector on SQLite (a file has one); two on one PostgreSQL database. */
async function sharedCollectors(t: TestContext, backend: Backend): Promise<RunningCollector[]> {
  const database = await freshDatabase(t, backend);
  const first = await startTestCollector(t, { backend, database, settings: ADMIN_SETTINGS });
  if (backend.name === 'sqlite') return [first];
  return [first, await startTestCollector(t, { backend, database, settings: ADMIN_SETTINGS })];
}

test('GET /api/crashes: a kernel oops whose every frame is unreliable groups by its first frame', async (t) => {
  const collector = await startTestCollector(t);
  await post(
    collector,
    'org.clearlinux/kernel/warning',
    oopsPayload('RTNL: assertion failed at drivers/net/bonding/bond_main.c (4440)', ['? dump_stack', '? bond_set_rx_mode', '? __dev_mc_add']),
  );
  assert.deepEqual(await groups(collector), [['dump_stack', 'dump_stack - [kernel]', 1, 1]]);
});
