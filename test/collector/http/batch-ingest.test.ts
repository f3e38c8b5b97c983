/**
 * POST /telem/v1/records, the batch protocol with per-record receipts (issue 16 item 1), on each
 * backend: results in order, an invalid record rejected with upstream's message while the others are
 * stored, a batch sent again answered duplicate (exactly once by record_id), gzip, and bad batches
 * refused whole with nothing stored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { RecordsPage } from '../../../engine/collector/query/answers.js';
import { tokenDigest } from '../../../engine/collector/validation/tenant.js';
import { BACKENDS, type CollectorUrl, UPSTREAM_TID, getJson, startTestCollector, v3Body } from '../collector-helpers.js';

interface Answer {
  readonly status: number;
  readonly body: { results?: { record_id: string | null; status: string; reason?: string }[]; message?: string };
}

async function postBatch(collector: CollectorUrl, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(new URL('/telem/v1/records', collector.url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-ndjson', 'X-Telemetry-TID': UPSTREAM_TID, ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const line = (recordId: string | undefined, overrides: Record<string, string> = {}, payload = `payload of ${recordId}\n`) =>
  JSON.stringify({
    ...v3Body({ event_id: '0'.repeat(31) + (recordId?.length ?? 0).toString(16).slice(-1), ...overrides }, payload),
    ...(recordId === undefined ? {} : { record_id: recordId }),
  });

async function stored(collector: CollectorUrl): Promise<RecordsPage['records']> {
  return (await getJson<RecordsPage>(collector, '/api/records?limit=100')).body.records;
}

for (const backend of BACKENDS) {
  const options = { skip: backend.skip, timeout: 60_000 };

  test(
    `batch ingest on ${backend.name}: a result per line in order; an invalid record is rejected with upstream's message and the others are stored; sent again, the stored ones are duplicates`,
    options,
    async (t) => {
      const collector = await startTestCollector(t, { backend });
      const batch = [line('a-1'), line('a-2', { severity: '9' }), line('a-3'), line('a-4', {}, 'same payload\n'), line('a-5', {}, 'same payload\n'), ''].join('\n');
      const first = await postBatch(collector, batch);
      assert.equal(first.status, 200);
      assert.deepEqual(first.body.results, [
        { record_id: 'a-1', status: 'stored' },
        { record_id: 'a-2', status: 'rejected', reason: 'severity value is out of range' },
        { record_id: 'a-3', status: 'stored' },
        { record_id: 'a-4', status: 'stored' },
        // Equal to a-4 in every field but its record_id: another record.
        { record_id: 'a-5', status: 'stored' },
      ]);
      const rows = await stored(collector);
      assert.equal(rows.length, 4);
      assert.ok(rows.every((row) => row.protocol === 'telem'));
      assert.deepEqual(rows.map((row) => row.payload).sort(), ['payload of a-1\n', 'payload of a-3\n', 'same payload\n', 'same payload\n']);

      // The agent did not get the answer and sends the batch again, CRLF this time: nothing stored twice.
      const again = await postBatch(collector, batch.replaceAll('\n', '\r\n'));
      assert.equal(again.status, 200);
      assert.deepEqual(
        again.body.results?.map((result) => result.status),
        ['duplicate', 'rejected', 'duplicate', 'duplicate', 'duplicate'],
      );
      // The same record_id twice in one batch is stored once.
      const twice = await postBatch(collector, `${line('b-1')}\n${line('b-1')}\n`);
      assert.deepEqual(
        twice.body.results?.map((result) => result.status),
        ['stored', 'duplicate'],
      );
      assert.equal((await stored(collector)).length, 5);
    },
  );

  test(`batch ingest on ${backend.name}: gzip bodies are unpacked; lines without a record_id or not JSON are rejected on their own`, options, async (t) => {
    const collector = await startTestCollector(t, { backend });
    const answer = await postBatch(collector, gzipSync(`${line('g-1')}\n${line(undefined)}\nnot json\n[1]\n`), { 'Content-Encoding': 'gzip' });
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.results?.map(({ record_id, status }) => [record_id, status]),
      [
        ['g-1', 'stored'],
        [null, 'rejected'],
        [null, 'rejected'],
        [null, 'rejected'],
      ],
    );
    assert.match(answer.body.results?.[1]?.reason ?? '', /"record_id" must be/);
    assert.match(answer.body.results?.[2]?.reason ?? '', /not valid JSON/);
    assert.equal((await stored(collector)).length, 1);
  });

  test(
    `batch ingest on ${backend.name}: a batch from an unknown tenant, without its token, too many records, bad gzip, a gzip bomb or another encoding is refused whole and nothing is stored`,
    options,
    async (t) => {
      const token = 'batch-token-0123456789';
      const collector = await startTestCollector(t, { backend, settings: { tenants: [{ tid: UPSTREAM_TID, tokens: [tokenDigest(token)] }], max_body: 64 * 1024 } });
      const auth = { Authorization: `Bearer ${token}` };
      const ok = `${line('t-1')}\n`;
      assert.deepEqual(await postBatch(collector, ok, { ...auth, 'X-Telemetry-TID': 'someone-else' }), { status: 400, body: { message: 'Telemetry ID mismatch' } });
      assert.equal((await postBatch(collector, ok)).status, 401);
      const many = await postBatch(collector, Array.from({ length: 1001 }, () => '{}').join('\n'), auth);
      assert.deepEqual(many, { status: 413, body: { message: 'a batch carries at most 1000 records (this one has 1001)' } });
      assert.equal((await postBatch(collector, Buffer.from('not gzip at all'), { ...auth, 'Content-Encoding': 'gzip' })).status, 400);
      const bomb = await postBatch(collector, gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), { ...auth, 'Content-Encoding': 'gzip' });
      assert.equal(bomb.status, 413);
      assert.match(bomb.body.message ?? '', /unpacks to more than 1MiB \(16 × collector\.max_body\)/);
      assert.equal((await postBatch(collector, ok, { ...auth, 'Content-Encoding': 'br' })).status, 415);
      assert.equal((await stored(collector)).length, 0);
      assert.deepEqual((await postBatch(collector, ok, auth)).body.results, [{ record_id: 't-1', status: 'stored' }]);
    },
  );
}
