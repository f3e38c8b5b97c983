/**
 * One crash group over HTTP on each backend: GET /api/crash-groups/<signature> answers its page
 * (counts per build, records over creation time, machines, classifications, the representative
 * record and up to 50 others), PUT sets its comment and hide switch (stored in crash_group_notes,
 * migration 10), hidden groups leave GET /api/crashes unless hidden=include, bad input is a 4xx
 * saying why, and a read token cannot change a note.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CrashesAnswer, CrashGroupAnswer, CrashGroupNoteAnswer, ErrorAnswer } from '../../../engine/collector/query/answers.js';
import { ADMIN_SETTINGS, ADMIN_TOKEN, BACKENDS, type CollectorUrl, getJson, postV3, startTestCollector, v3Body } from '../collector-helpers.js';
import { call, startLoginCollector } from '../auth/logins.js';
import { LIBC, crashprobePayload } from '../crash-payloads.js';

const DAY = 86_400;
/** Creation times (unix seconds, midnight UTC): the records are all received now, but created days apart. */
const CREATED = 1_767_225_600;

let events = 0;
async function post(collector: CollectorUrl, fields: Record<string, string>, payload: string): Promise<number> {
  events += 1;
  const response = await postV3(collector, v3Body({ classification: 'org.clearlinux/crash/clr', event_id: events.toString(16).padStart(32, '0'), ...fields }, payload));
  assert.equal(response.status, 201, response.body.toString());
  return response.json<{ id: number }>().id;
}

const crash = (...functions: string[]) => crashprobePayload([`raise() - ${LIBC}`, ...functions.map((name) => `${name}() - [/usr/bin/app]`)]);
const PARSE = 'parse_config | main';
const groupPath = (signature: string, query = '') => `/api/crash-groups/${encodeURIComponent(signature)}${query}`;

async function putNote(collector: CollectorUrl, signature: string, body: unknown, token = ADMIN_TOKEN): Promise<{ status: number; body: CrashGroupNoteAnswer & ErrorAnswer }> {
  const response = await fetch(new URL(groupPath(signature), collector.url), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as CrashGroupNoteAnswer & ErrorAnswer };
}

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `GET /api/crash-groups/<signature> on ${backend.name}: counts per build in version order, records per day of creation (not reception), machines, classifications and the latest record as representative`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      await post(collector, { machine_id: 'm1', build: '39010', creation_timestamp: String(CREATED + 2 * DAY + 60) }, crash('parse_config', 'main'));
      await post(collector, { machine_id: 'm1', build: '9990', creation_timestamp: String(CREATED + 30) }, crash('parse_config', 'main'));
      await post(collector, { machine_id: 'm2', build: '9990', creation_timestamp: String(CREATED + 90) }, crash('parse_config', 'main'));
      const latest = await post(
        collector,
        { machine_id: 'm3', build: '39010', creation_timestamp: String(CREATED + 2 * DAY + 120), classification: 'org.example/crash/app' },
        crash('parse_config', 'main'),
      );
      await post(collector, { machine_id: 'm4', build: '39010', creation_timestamp: String(CREATED + DAY) }, crash('load_plugin', 'main'));

      const answer = await getJson<CrashGroupAnswer>(collector, groupPath(PARSE, '?bucket=1d'));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const group = answer.body;
      assert.equal(group.signature, PARSE);
      assert.deepEqual([group.count, group.machines], [4, 3]);
      assert.deepEqual([group.first_created, group.last_created], [(CREATED + 30) * 1000, (CREATED + 2 * DAY + 120) * 1000]);
      // Version order, numbers as numbers: 9990 before 39010.
      assert.deepEqual(
        group.by_build.map((build) => [build.system_name, build.build, build.count, build.machines, build.last_created / 1000]),
        [
          ['clear-linux-os', '9990', 2, 2, CREATED + 90],
          ['clear-linux-os', '39010', 2, 2, CREATED + 2 * DAY + 120],
        ],
      );
      assert.deepEqual(
        group.over_time.buckets.map((bucket) => [bucket.start / 1000, bucket.count, bucket.machines]),
        [
          [CREATED, 2, 2],
          [CREATED + DAY, 0, 0],
          [CREATED + 2 * DAY, 2, 2],
        ],
      );
      assert.equal(group.over_time.bucket_ms, DAY * 1000);
      assert.deepEqual(
        group.by_machine.map((machine) => [machine.machine_id, machine.count, machine.builds]),
        [
          ['m1', 2, 2],
          ['m2', 1, 1],
          ['m3', 1, 1],
        ],
      );
      assert.deepEqual(group.by_classification, [
        { classification: 'org.clearlinux/crash/clr', count: 3 },
        { classification: 'org.example/crash/app', count: 1 },
      ]);
      assert.equal(group.representative?.id, latest);
      assert.equal(group.representative?.payload, crash('parse_config', 'main'));
      assert.deepEqual(
        group.records.map((record) => record.id),
        [latest - 1, latest - 2, latest - 3],
      );
      assert.deepEqual(group.note, { comment: null, hidden: false, updated_at: null, updated_by: null });

      // The records filters narrow the page: one build, or a creation range (what a zoom sets).
      const build = await getJson<CrashGroupAnswer>(collector, groupPath(PARSE, '?build=9990'));
      assert.deepEqual([build.body.count, build.body.by_build.map((row) => row.build)], [2, ['9990']]);
      const range = await getJson<CrashGroupAnswer>(collector, groupPath(PARSE, `?created_since=${CREATED + DAY}&created_until=${CREATED + 3 * DAY}`));
      assert.deepEqual([range.body.count, range.body.representative?.id], [2, latest]);
      // Filtered to nothing, the group still exists: zero counts, no representative.
      const none = await getJson<CrashGroupAnswer>(collector, groupPath(PARSE, '?build=1'));
      assert.deepEqual([none.status, none.body.count, none.body.representative, none.body.over_time.buckets], [200, 0, null, []]);
    },
  );

  test(`GET /api/crash-groups/<signature> on ${backend.name}: of 53 records the page lists the latest as representative and the 50 before it`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const ids: number[] = [];
    for (let index = 0; index < 53; index += 1) ids.push(await post(collector, { machine_id: `m${index % 5}` }, crash('render', 'main')));
    const group = (await getJson<CrashGroupAnswer>(collector, groupPath('render | main'))).body;
    assert.equal(group.count, 53);
    assert.equal(group.representative?.id, ids.at(-1));
    assert.deepEqual(
      group.records.map((record) => record.id),
      ids.slice(2, 52).reverse(),
    );
  });

  test(
    `PUT /api/crash-groups/<signature> on ${backend.name}: a comment and the hide switch are stored; a hidden group leaves GET /api/crashes unless hidden=include (marked) or hidden=only`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend, settings: ADMIN_SETTINGS });
      await post(collector, { machine_id: 'm1' }, crash('parse_config', 'main'));
      await post(collector, { machine_id: 'm2' }, crash('parse_config', 'main'));
      await post(collector, { machine_id: 'm1' }, crash('load_plugin', 'main'));
      const listed = async (query = '') => (await getJson<CrashesAnswer>(collector, `/api/crashes${query}`)).body.groups.map((group) => [group.signature, group.hidden, group.comment]);
      assert.deepEqual(await listed(), [
        [PARSE, false, null],
        ['load_plugin | main', false, null],
      ]);

      const commented = await putNote(collector, PARSE, { comment: 'fixed in 39010, see bug 123' });
      assert.equal(commented.status, 200, JSON.stringify(commented.body));
      assert.deepEqual(
        { ...commented.body, updated_at: typeof commented.body.updated_at },
        {
          signature: PARSE,
          comment: 'fixed in 39010, see bug 123',
          hidden: false,
          updated_at: 'number',
          updated_by: 'test-admin',
        },
      );
      // What a change leaves out stays.
      const hidden = await putNote(collector, PARSE, { hidden: true });
      assert.deepEqual([hidden.status, hidden.body.comment, hidden.body.hidden], [200, 'fixed in 39010, see bug 123', true]);

      assert.deepEqual(await listed(), [['load_plugin | main', false, null]]);
      assert.equal((await getJson<CrashesAnswer>(collector, '/api/crashes')).body.hidden, 'exclude');
      assert.deepEqual(await listed('?hidden=include'), [
        [PARSE, true, 'fixed in 39010, see bug 123'],
        ['load_plugin | main', false, null],
      ]);
      assert.deepEqual(await listed('?hidden=only'), [[PARSE, true, 'fixed in 39010, see bug 123']]);
      // The limit counts the groups shown: the hidden one does not take the only place.
      assert.deepEqual(await listed('?limit=1'), [['load_plugin | main', false, null]]);
      const page = await getJson<CrashGroupAnswer>(collector, groupPath(PARSE));
      assert.deepEqual([page.body.note.comment, page.body.note.hidden, page.body.note.updated_by], ['fixed in 39010, see bug 123', true, 'test-admin']);

      const shown = await putNote(collector, PARSE, { hidden: false, comment: '' });
      assert.deepEqual([shown.body.comment, shown.body.hidden], [null, false]);
      assert.deepEqual((await listed()).length, 2);
    },
  );

  test(`crash groups on ${backend.name}: an unknown signature, a bad encoding, a bad body or parameter is a 4xx saying why`, options, async (t) => {
    const collector = await startTestCollector(t, { backend, settings: ADMIN_SETTINGS });
    await post(collector, { machine_id: 'm1' }, crash('parse_config', 'main'));
    await post(collector, { classification: 'org.clearlinux/hello/world' }, crash('not_a_crash', 'main'));
    const missing = 'no crash group with signature "nowhere | main": no stored crash record has it (GET /api/crashes lists the signatures)';
    assert.deepEqual(await getJson(collector, groupPath('nowhere | main')), { status: 404, body: { message: missing } });
    // A signature of records outside the crash classifications is no crash group (unless the query names them).
    assert.equal((await getJson(collector, groupPath('not_a_crash | main'))).status, 404);
    assert.equal((await getJson(collector, groupPath('not_a_crash | main', '?classification=org.clearlinux/hello/*'))).status, 200);
    assert.deepEqual(await putNote(collector, 'nowhere | main', { hidden: true }), { status: 404, body: { message: missing } });

    assert.deepEqual(await getJson(collector, '/api/crash-groups/%E0%A4%A'), {
      status: 400,
      body: { message: "the crash group's signature in /api/crash-groups/%E0%A4%A is not percent-encoded text (encodeURIComponent of the signature)" },
    });
    const signatureParam = await getJson<ErrorAnswer>(collector, groupPath(PARSE, '?signature=x'));
    assert.equal(signatureParam.status, 400);
    assert.match(signatureParam.body.message, /^unknown query parameter "signature"; known parameters: q, classification, /);
    assert.deepEqual(await getJson(collector, groupPath(PARSE, '?bucket=1s')), { status: 400, body: { message: 'bucket should be a duration of at least a minute, such as "1h"' } });
    assert.deepEqual(await getJson(collector, '/api/crashes?hidden=yes'), { status: 400, body: { message: 'hidden should be one of: exclude, include, only' } });

    const shape = 'the body should be JSON {"comment": "…", "hidden": true} (either or both; a null or empty comment removes it)';
    assert.deepEqual(await putNote(collector, PARSE, { hidden: 'yes' }), { status: 400, body: { message: `${shape}: hidden: Invalid input: expected boolean, received string` } });
    assert.deepEqual(await putNote(collector, PARSE, {}), { status: 400, body: { message: `${shape}: body: name comment, hidden or both` } });
    assert.deepEqual(await putNote(collector, PARSE, { comment: 'x'.repeat(2001) }), { status: 400, body: { message: `${shape}: comment: comment may be at most 2000 characters long` } });
    assert.equal((await putNote(collector, PARSE, '{"hidden": tru')).status, 400);
    const posted = await call(collector, groupPath(PARSE), { method: 'POST', token: ADMIN_TOKEN });
    assert.deepEqual([posted.status, posted.headers.get('allow')], [405, 'GET, HEAD, PUT']);
  });

  test(`PUT /api/crash-groups/<signature> on ${backend.name}: a read token reads the page but gets 403 on the PUT; an admin token sets the note`, options, async (t) => {
    const { collector, token } = await startLoginCollector(t, backend);
    const reader = await token('grafana', 'read');
    const admin = await token('ops', 'admin');
    await post(collector, { machine_id: 'm1' }, crash('parse_config', 'main'));
    assert.equal((await call(collector, groupPath(PARSE), { token: reader })).status, 200);
    const refused = await call(collector, groupPath(PARSE), { method: 'PUT', token: reader, headers: { 'Content-Type': 'application/json' }, body: '{"hidden": true}' });
    assert.equal(refused.status, 403);
    assert.match(refused.json<ErrorAnswer>().message, /^the token "grafana" has role read; PUT \/api\/crash-groups\/parse_config%20%7C%20main needs an admin token/);
    assert.equal((await call(collector, groupPath(PARSE), { token: reader })).json<CrashGroupAnswer>().note.hidden, false);
    const done = await call(collector, groupPath(PARSE), { method: 'PUT', token: admin, headers: { 'Content-Type': 'application/json' }, body: '{"hidden": true}' });
    assert.deepEqual([done.status, done.json<CrashGroupNoteAnswer>().updated_by], [200, 'ops']);
  });
}
