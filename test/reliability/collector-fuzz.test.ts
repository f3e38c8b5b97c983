/**
 * Bad input at the collector's HTTP boundary, on each storage backend: random v2 headers and v3
 * bodies never get a 5xx and every 4xx carries a JSON message; random query parameters (quotes,
 * semicolons, wildcards, SQL) get 200 or 400, never 500, never widen a filter, and leave the
 * table as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FILTER_PARAMETERS } from '../../engine/collector/query/params.js';
import { classificationMatches } from '../../engine/pattern/glob.js';
import { BACKENDS, type RawResponse, UPSTREAM_TID, postV3, rawHttp, rawRequest, startTestCollector, v2Headers, v3Body } from '../collector/collector-helpers.js';
import { fuzzRuns } from './fuzz-settings.js';

const FIELDS = Object.keys(v3Body()).filter((name) => name !== 'payload');
const TEXT_FILTERS = ['machine_id', 'build', 'system_name', 'event_id', 'first_frame'] as const;

const INJECTIONS = [
  "' OR '1'='1",
  "' OR 1=1 --",
  '1; DROP TABLE records; --',
  "'; DELETE FROM records; --",
  '") OR ("1"="1',
  '1) OR (1=1',
  '%',
  '_',
  '*',
  '?',
  '$1',
  '\\',
  "\\'",
  '/*',
  '*/',
  'NULL',
  "' UNION SELECT * FROM records --",
  '\u00a0',
  '🙂',
];

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc.constantFrom(...INJECTIONS, '', ' ', '0', '-1', '4', '99999999999999999999', '1e3', 'N/A', 'a'.repeat(300)),
);

/** A 5xx is a crash in disguise; a 4xx must say why in a JSON message. */
function assertAnswered(response: RawResponse, what: string): void {
  assert.ok(response.status < 500, `${what}: status ${response.status} ${response.body.toString('utf8').slice(0, 200)}`);
  if (response.status >= 400) {
    assert.match(response.headers['content-type'] ?? '', /^application\/json/, `${what}: ${response.status} without JSON`);
    const message = (response.json() as { message?: unknown }).message;
    assert.ok(typeof message === 'string' && message.trim() !== '', `${what}: ${response.status} without a message`);
  }
}

for (const backend of BACKENDS) {
  test(`collector fuzz (${backend.name}): random v3 bodies get 201 or a 4xx with a JSON message, never a 5xx`, { skip: backend.skip, timeout: 60_000 }, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const fieldValue = fc.oneof(text, fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }));
    // Any UTF-16 code units, lone surrogates included, in the fields that take free text: these get stored.
    const anyText = fc.oneof(
      fc.string({ maxLength: 30, unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }),
      fc.string({ maxLength: 20, unit: 'grapheme' }),
    );
    const body = fc.oneof(
      fc
        .record({
          changes: fc.dictionary(fc.constantFrom('cpu_model', 'payload', 'payload', 'kernel_version', 'board_name', 'bios_version'), anyText, { minKeys: 1, maxKeys: 2 }),
          event: fc.stringMatching(/^[0-9a-f]{32}$/),
        })
        .map(({ changes, event }) => JSON.stringify({ ...v3Body({ event_id: event }, 'fuzz\n'), ...changes })),
      fc.record({ changes: fc.dictionary(fc.constantFrom(...FIELDS, 'payload', 'extra', '__proto__'), fc.option(fieldValue)) }).map(({ changes }) => {
        const record: Record<string, unknown> = v3Body({}, 'fuzz\n');
        for (const [name, value] of Object.entries(changes)) {
          if (value === null) delete record[name];
          else record[name] = value;
        }
        return JSON.stringify(record);
      }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    );
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(body, async (json) => {
        const response = await postV3(collector, json);
        assertAnswered(response, `v3 ${json.slice(0, 120)}`);
        if (response.status === 201) stored += 1;
      }),
      fuzzRuns(`v3 bodies ${backend.name}`, 250),
    );
    t.diagnostic(`${stored} of the random bodies were stored`);
  });

  test(`collector fuzz (${backend.name}): random v2 headers and bodies get 201 or a 4xx with a JSON message, never a 5xx`, { skip: backend.skip, timeout: 60_000 }, async (t) => {
    const collector = await startTestCollector(t, { backend });
    // Header values as bytes: printable ASCII, Latin-1, and now and then a control character or a line break.
    const headerValue = fc.oneof(
      { weight: 4, arbitrary: text.map((value) => value.replace(/[\r\n]/g, '')) },
      fc.string({ maxLength: 20, unit: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)) }),
      fc.constantFrom('\t', 'a\u0000b', 'a\rb', 'a\r\nInjected: yes', ' leading', 'trailing '),
    );
    const request = fc.record({
      changes: fc.dictionary(fc.constantFrom(...Object.keys(v2Headers()), 'Content-Type', 'X-CLR-External', 'Transfer-Encoding', 'Expect'), fc.option(headerValue)),
      body: fc.oneof(
        fc.string({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
      ),
      path: fc.constantFrom('/v2/collector', '/'),
    });
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ changes, body, path }) => {
        const headers: Record<string, string> = v2Headers();
        for (const [name, value] of Object.entries(changes)) {
          if (value === null) delete headers[name];
          else headers[name] = value;
        }
        const bytes = rawHttp({ path, headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value])), body });
        // The head goes out byte for byte (Latin-1), as a C client would send it.
        const head = bytes.subarray(0, bytes.indexOf('\r\n\r\n') + 4).toString('utf8');
        const raw = Buffer.concat([Buffer.from(head, 'latin1'), bytes.subarray(bytes.indexOf('\r\n\r\n') + 4)]);
        const response = await rawRequest(collector.url, raw);
        assertAnswered(response, `v2 ${JSON.stringify(changes).slice(0, 160)}`);
        if (response.status === 201) stored += 1;
      }),
      fuzzRuns(`v2 headers ${backend.name}`, 250),
    );
    t.diagnostic(`${stored} of the random requests were stored`);
  });

  test(
    `collector fuzz (${backend.name}): random query parameters get 200 or 400 (never 500), never widen a filter, and leave the table intact`,
    { skip: backend.skip, timeout: 60_000 },
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      const seeded = [
        v3Body({ machine_id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', classification: 'org.example/crash/one', severity: '4', event_id: '11111111111111111111111111111111' }, 'sentinel one'),
        v3Body({ machine_id: "'; DROP TABLE records; --", classification: 'org.example/other/two', severity: '1', event_id: '22222222222222222222222222222222' }, 'sentinel two'),
        v3Body(
          { machine_id: 'cccccccccccccccccccccccccccccccc', classification: 'x.y/z/w', severity: '2', system_name: '%', event_id: '33333333333333333333333333333333' },
          'sentinel three',
        ),
      ];
      const ids: number[] = [];
      for (const record of seeded) {
        const response = await postV3(collector, record, { 'X-Telemetry-TID': UPSTREAM_TID });
        assert.equal(response.status, 201, response.body.toString());
        ids.push(response.json<{ id: number }>().id);
      }
      const storedValues = seeded.flatMap((record) => Object.values(record));
      const value = fc.oneof(
        text,
        fc.constantFrom(...storedValues),
        fc.constantFrom('org.example/*', '*', '*/crash/*', 'x.y/?/w', '1,4', '15m', '2025-01-01T00:00:00Z', '0', 'json', 'ndjson', 'csv', '1h'),
      );
      const parameter = fc.constantFrom(...FILTER_PARAMETERS, 'limit', 'cursor', 'format', 'bucket', 'unknown', 'machine_id', 'classification');
      const query = fc.record({
        endpoint: fc.constantFrom('/api/records', '/api/records', '/api/stats', '/api/crashes'),
        params: fc.array(fc.tuple(parameter, value), { maxLength: 4 }),
        // Now and then bytes the way a careless client sends them: unencoded or bad escapes.
        raw: fc.option(fc.constantFrom("machine_id='%20OR%201=1", 'build=%E0%A4', 'event_id=%zz', 'classification=%2F%2F', 'severity=%00', 'system_name=%', 'since=%2B', '&&==&'), {
          freq: 5,
        }),
      });
      await fc.assert(
        fc.asyncProperty(query, async ({ endpoint, params, raw }) => {
          const search = raw ?? new URLSearchParams(params).toString();
          const path = `${endpoint}?${search}`;
          const response = await rawRequest(collector.url, rawHttp({ method: 'GET', path, headers: {} }));
          assert.ok(response.status === 200 || response.status === 400, `${path}: ${response.status} ${response.body.toString('utf8').slice(0, 200)}`);
          assertAnswered(response, path);
          if (response.status !== 200 || endpoint !== '/api/records' || raw !== null) return;
          const format = params.find(([name]) => name === 'format')?.[1];
          if (format !== undefined && format !== 'json') return;
          // Whatever the values hold, a filter only ever narrows: each record returned matches every filter given.
          const records = response.json<{ records: Record<string, unknown>[] }>().records;
          for (const record of records) {
            for (const name of TEXT_FILTERS) {
              const wanted = params.filter(([parameterName]) => parameterName === name).map(([, given]) => given);
              if (wanted.length > 0) assert.ok(wanted.includes(String(record[name])), `${path} returned ${name}=${String(record[name])}`);
            }
            const patterns = params.filter(([name]) => name === 'classification').map(([, given]) => given);
            if (patterns.length > 0)
              assert.ok(
                patterns.some((pattern) => classificationMatches(pattern, String(record.classification))),
                `${path} returned ${String(record.classification)}`,
              );
          }
        }),
        fuzzRuns(`query ${backend.name}`, 400),
      );
      const all = await rawRequest(collector.url, rawHttp({ method: 'GET', path: '/api/records?format=json&limit=1000', headers: {} }));
      assert.deepEqual(
        all
          .json<{ records: { id: number; payload: string }[] }>()
          .records.map((record) => [record.id, record.payload])
          .sort(),
        ids.map((id, index) => [id, `sentinel ${['one', 'two', 'three'][index]}`]).sort(),
        'the table still holds exactly the seeded records',
      );
    },
  );
}

test('collector: an Expect header other than 100-continue gets a 417 with a JSON message (found by the v2 fuzz)', async (t) => {
  const collector = await startTestCollector(t);
  const response = await rawRequest(collector.url, rawHttp({ path: '/v2/collector', headers: { ...v2Headers(), Expect: 'something-else' }, body: 'hello\n' }));
  assert.equal(response.status, 417);
  assert.deepEqual(response.json(), { message: 'Expect: something-else is not supported; only 100-continue is' });
});
