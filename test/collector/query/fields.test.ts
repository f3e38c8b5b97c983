/**
 * GET /api/fields over HTTP: the fields it lists are the ones records and exports carry, in the export's
 * order, and the filters it lists are exactly the parameters the other endpoints accept, each taking the
 * kind of value it says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldsAnswer, FilterDescription } from '../../../engine/collector/query/answers.js';
import { getJson, postV3, startTestCollector, v3Body } from '../collector-helpers.js';

/** Values of the kind the filter says it takes: one that `record` matches, one it does not. */
function valuesFor(filter: FilterDescription, record: Record<string, unknown>): { matching: string; other: string } {
  const value = record[filter.field];
  switch (filter.kind) {
    case 'pattern':
      return { matching: String(value), other: filter.example };
    case 'choice':
      return { matching: String(value), other: String(filter.values.find((choice) => choice.value !== value)?.value) };
    case 'text':
      return { matching: String(value), other: 'no such value' };
    case 'prefix':
      return { matching: String(value).slice(0, 12), other: 'no such prefix' };
    case 'search':
      return { matching: 'boom', other: 'nosuchword' };
    case 'time': {
      // creation_timestamp is unix seconds, received_at ISO 8601.
      const at = typeof value === 'number' ? value * 1000 : Date.parse(String(value));
      const before = new Date(at - 60_000).toISOString();
      const after = new Date(at + 60_000).toISOString();
      return filter.bound === 'lower' ? { matching: before, other: after } : { matching: after, other: before };
    }
  }
}

test('GET /api/fields: every field of a record in export order, the list columns, and every filter the query endpoints accept', async (t) => {
  const collector = await startTestCollector(t);
  const crash = 'Backtrace (TID 1):\n#0 boom() - [/lib/x.so]\n';
  const posted = await postV3(collector, v3Body({ classification: 'org.example/crash/one', severity: '3', system_name: 'debian' }, crash));
  assert.equal(posted.status, 201);

  const { status, body } = await getJson<FieldsAnswer>(collector, '/api/fields');
  assert.equal(status, 200);
  const names = body.fields.map((field) => field.name);

  const { body: page } = await getJson<{ records: Record<string, unknown>[] }>(collector, '/api/records');
  const record = page.records[0] as Record<string, unknown>;
  assert.deepEqual([...names].sort(), Object.keys(record).sort(), 'the fields are those of a record');
  const csv = await (await fetch(new URL('/api/records?format=csv', collector.url))).text();
  assert.equal(csv.split('\r\n')[0], names.join(','), 'in the order of the CSV columns');
  for (const field of body.fields) {
    const value = record[field.name];
    const expected = { integer: 'number', boolean: 'boolean', time: 'string', text: 'string' }[field.type];
    assert.ok(typeof value === expected || (['first_frame', 'signature'].includes(field.name) && value === null), `${field.name} is ${field.type}: ${JSON.stringify(value)}`);
  }
  assert.equal(body.fields.find((field) => field.name === 'received_at')?.type, 'time');

  assert.ok(body.columns.length > 0);
  for (const column of body.columns) assert.ok(names.includes(column.field), `column ${column.field} is a field`);

  // Each filter takes a value of its kind, tests the field it names, and every endpoint that filters takes it...
  const filterNames = body.filters.map((filter) => filter.name);
  assert.deepEqual(filterNames, [
    'q',
    'classification',
    'severity',
    'machine_id',
    'build',
    'system_name',
    'event_id',
    'first_frame',
    'signature',
    'since',
    'until',
    'created_since',
    'created_until',
  ]);
  assert.equal(record.first_frame, 'boom() - [/lib/x.so]');
  assert.equal(record.signature, 'boom');
  for (const filter of body.filters) {
    assert.ok(names.includes(filter.field), `${filter.name} tests the field ${filter.field}`);
    const { matching, other } = valuesFor(filter, record);
    const ids = async (value: string) => {
      const answer = await getJson<{ records: { id: number }[] }>(collector, `/api/records?${new URLSearchParams({ [filter.name]: value })}`);
      assert.equal(answer.status, 200, `${filter.name}=${value}: ${JSON.stringify(answer.body)}`);
      return answer.body.records.map((found) => found.id);
    };
    assert.deepEqual(await ids(matching), [record.id], `${filter.name}=${matching} keeps the record`);
    assert.deepEqual(await ids(other), [], `${filter.name}=${other} leaves it out`);
    for (const endpoint of ['/api/stats', '/api/crashes']) {
      const answer = await getJson(collector, `${endpoint}?${new URLSearchParams({ [filter.name]: matching })}`);
      assert.equal(answer.status, 200, `${endpoint}?${filter.name}=${matching}: ${JSON.stringify(answer.body)}`);
    }
  }
  // ...and they are all it accepts beside its own parameters.
  const refused = await getJson<{ message: string }>(collector, '/api/stats?nonsense=1');
  assert.equal(refused.status, 400);
  assert.equal(refused.body.message, `unknown query parameter "nonsense"; known parameters: ${[...filterNames, 'bucket'].join(', ')}`);

  // A filter's kind says what it takes: a value of another kind is refused.
  const severity = body.filters.find((filter) => filter.name === 'severity');
  assert.deepEqual(severity?.kind === 'choice' && severity.values.map((value) => value.value), [1, 2, 3, 4]);
  assert.equal((await getJson(collector, '/api/records?severity=5')).status, 400);
  assert.equal((await getJson(collector, `/api/records?classification=${encodeURIComponent('not a pattern/at all/x/y')}`)).status, 400);
  assert.equal((await getJson(collector, '/api/records?since=soon')).status, 400);

  assert.deepEqual(await getJson(collector, '/api/fields?filter=1'), { status: 400, body: { message: 'unknown query parameter "filter"; this endpoint takes none' } });
  const refusedPost = await fetch(new URL('/api/fields', collector.url), { method: 'POST', body: '{}' });
  assert.equal(refusedPost.status, 405);
  assert.equal(refusedPost.headers.get('allow'), 'GET, HEAD');
});
