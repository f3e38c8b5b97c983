/**
 * Every validation rule and message of upstream's collector (reference/upstream-backend.md
 * §2.3 and the observed wire vectors of §6), sent over HTTP to a real collector, with our
 * fixes where upstream answered 500. A rejected record is never stored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKENDS, UPSTREAM_TID, postV2, postV3, startTestCollector, v2Headers, v3Body } from '../collector-helpers.js';

interface Case {
  readonly name: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  readonly status: number;
  readonly message?: string;
  /** Checks on the stored record (201 cases). */
  readonly stored?: Record<string, unknown>;
}

const NO_V3_V4 = { board_name: undefined, cpu_model: undefined, bios_version: undefined, event_id: undefined };
const v1 = (extra: Record<string, string | undefined> = {}) =>
  v2Headers({ ...NO_V3_V4, record_format_version: '1', payload_format_version: undefined, system_name: undefined, 'X-Telemetry-TID': undefined, ...extra });
const NA = { board_name: 'N/A', cpu_model: 'N/A', bios_version: 'N/A', event_id: 'N/A' };

const cases: Case[] = [
  {
    name: 'the v4 base record (underscore names, as the v2 client sends) is stored',
    headers: v2Headers(),
    body: 'hello\n',
    status: 201,
    stored: { build: '39000', payload: 'hello\n', protocol: 'v2', record_format_version: 4 },
  },
  {
    name: 'header names match case-insensitively with "-" and "_" equal',
    headers: Object.fromEntries(Object.entries(v2Headers()).map(([name, value]) => [name.includes('_') ? name.toUpperCase().replaceAll('_', '-') : name, value])),
    status: 201,
    stored: { machine_id: '66c196ce4222dd761470da5e7e35f6f1' },
  },
  { name: 'a header sent twice under two spellings: the last one wins', headers: { ...v2Headers({ severity: '1' }), Severity: '3' }, status: 201, stored: { severity: 3 } },
  { name: 'a v2 record without board, cpu, bios and event id stores N/A for them', headers: v2Headers({ ...NO_V3_V4, record_format_version: '2' }), status: 201, stored: NA },
  {
    name: 'a v3 record without event id stores event id N/A',
    headers: v2Headers({ record_format_version: '3', event_id: undefined }),
    status: 201,
    stored: { event_id: 'N/A', cpu_model: 'Intel(R) Core(TM) i5-7260U CPU @ 2.20GHz' },
  },
  { name: 'a v2 record carrying v3 and v4 headers ignores them', headers: v2Headers({ record_format_version: '2' }), status: 201, stored: NA },

  // 1. tenant id
  { name: 'v1 without a TID: Telemetry ID mismatch (checked for every version)', headers: v1(), status: 400, message: 'Telemetry ID mismatch' },
  { name: 'missing TID: Telemetry ID mismatch', headers: v2Headers({ 'X-Telemetry-TID': undefined }), status: 400, message: 'Telemetry ID mismatch' },
  { name: 'another TID: Telemetry ID mismatch', headers: v2Headers({ 'X-Telemetry-TID': 'alt-tid-0000' }), status: 400, message: 'Telemetry ID mismatch' },
  {
    name: 'an upper-cased TID: Telemetry ID mismatch (exact comparison)',
    headers: v2Headers({ 'X-Telemetry-TID': UPSTREAM_TID.toUpperCase() }),
    status: 400,
    message: 'Telemetry ID mismatch',
  },

  // 2. record format version
  { name: 'record_format_version 5 is invalid', headers: v2Headers({ record_format_version: '5' }), status: 400, message: 'Record-Format-Version is invalid' },
  { name: 'a missing record_format_version is invalid', headers: v2Headers({ record_format_version: undefined }), status: 400, message: 'Record-Format-Version is invalid' },
  { name: 'a non-numeric record_format_version is invalid', headers: v2Headers({ record_format_version: 'four' }), status: 400, message: 'Record-Format-Version is invalid' },
  {
    name: 'record_format_version "04" counts as 4, with the full v4 check (upstream skipped it)',
    headers: v2Headers({ record_format_version: '04' }),
    status: 201,
    stored: { record_format_version: 4, event_id: '39cc109a1079df96376693ebc7a0f632' },
  },
  {
    name: 'record_format_version "04" without build: Build missing (upstream: 500)',
    headers: v2Headers({ record_format_version: '04', build: undefined }),
    status: 400,
    message: 'Record-Format-Version headers are invalid, Build missing',
  },

  // 3. required headers per version
  { name: 'v4 without event_id: Event-Id missing', headers: v2Headers({ event_id: undefined }), status: 400, message: 'Record-Format-Version headers are invalid, Event-Id missing' },
  { name: 'v4 without cpu_model: Cpu-Model missing', headers: v2Headers({ cpu_model: undefined }), status: 400, message: 'Record-Format-Version headers are invalid, Cpu-Model missing' },
  {
    name: 'v4 without kernel_version: Kernel-Version missing',
    headers: v2Headers({ kernel_version: undefined }),
    status: 400,
    message: 'Record-Format-Version headers are invalid, Kernel-Version missing',
  },
  {
    name: 'v3 with only v2 headers: Board-Name missing',
    headers: v2Headers({ ...NO_V3_V4, record_format_version: '3' }),
    status: 400,
    message: 'Record-Format-Version headers are invalid, Board-Name missing',
  },
  {
    name: 'v2 without severity: Severity missing',
    headers: v2Headers({ record_format_version: '2', severity: undefined }),
    status: 400,
    message: 'Record-Format-Version headers are invalid, Severity missing',
  },
  {
    name: 'v2 without system_name: System-Name missing',
    headers: v2Headers({ record_format_version: '2', system_name: undefined }),
    status: 400,
    message: 'Record-Format-Version headers are invalid, System-Name missing',
  },

  // 4. severity
  ...['0', '5', 'x', '-1', ''].map((severity): Case => ({
    name: `severity "${severity}" is out of range`,
    headers: v2Headers({ severity }),
    status: 400,
    message: 'severity value is out of range',
  })),
  { name: 'severity 4 is accepted', headers: v2Headers({ severity: '4' }), status: 201, stored: { severity: 4 } },

  // 5. classification
  { name: 'classification a/b is invalid', headers: v2Headers({ classification: 'a/b' }), status: 400, message: 'Classification value is invalid' },
  { name: 'classification a/b/c/d is invalid', headers: v2Headers({ classification: 'a/b/c/d' }), status: 400, message: 'Classification value is invalid' },
  { name: 'classification // is accepted (three empty parts)', headers: v2Headers({ classification: '//' }), status: 201, stored: { classification: '//' } },
  { name: 'a 300-character classification part is accepted', headers: v2Headers({ classification: `a/${'b'.repeat(300)}/c` }), status: 201 },

  // 6. machine id
  { name: 'a 33-character machine id is invalid', headers: v2Headers({ machine_id: 'a'.repeat(33) }), status: 400, message: 'Machine id value is invalid' },
  { name: 'a machine id of any characters up to 32 is accepted', headers: v2Headers({ machine_id: 'not-hex_any!chars' }), status: 201, stored: { machine_id: 'not-hex_any!chars' } },

  // 7. creation timestamp
  ...['-1', '1.5', 'abc', '1²', '12345678901234567890'].map((creation_timestamp): Case => ({
    name: `creation_timestamp "${creation_timestamp}" is invalid`,
    headers: v2Headers({ creation_timestamp }),
    status: 400,
    message: 'timestamp is invalid',
  })),
  { name: 'creation_timestamp 99999999999 is accepted', headers: v2Headers({ creation_timestamp: '99999999999' }), status: 201, stored: { creation_timestamp: 99999999999 } },

  // 8. architecture
  { name: 'arch riscv64 is invalid', headers: v2Headers({ arch: 'riscv64' }), status: 400, message: 'architecture is invalid' },
  { name: 'arch X86_64 is invalid (case-sensitive)', headers: v2Headers({ arch: 'X86_64' }), status: 400, message: 'architecture is invalid' },
  { name: 'arch aarch64 is accepted', headers: v2Headers({ arch: 'aarch64' }), status: 201, stored: { arch: 'aarch64' } },

  // 9. host type
  { name: 'a 250-character host type is invalid', headers: v2Headers({ host_type: 'h'.repeat(250) }), status: 400, message: 'host type is invalid' },
  { name: 'a 249-character host type is accepted', headers: v2Headers({ host_type: 'h'.repeat(249) }), status: 201 },

  // 10. kernel version
  { name: 'kernel version 6.5 is invalid', headers: v2Headers({ kernel_version: '6.5' }), status: 400, message: 'kernel version is invalid' },
  { name: 'kernel version 6.x.1 is invalid', headers: v2Headers({ kernel_version: '6.x.1' }), status: 400, message: 'kernel version is invalid' },
  { name: 'kernel version 3.16.generic is accepted', headers: v2Headers({ kernel_version: '3.16.generic' }), status: 201, stored: { kernel_version: '3.16.generic' } },

  // 11. board, cpu, bios (v3+)
  { name: 'a 200-character board name is invalid', headers: v2Headers({ board_name: 'b'.repeat(200) }), status: 400, message: 'board name is invalid' },
  { name: 'a cpu model with ® and ™ is invalid (printable ASCII only)', headers: v2Headers({ cpu_model: 'Intel® Core™' }), status: 400, message: 'cpu model is invalid' },
  { name: 'a 200-character BIOS version is invalid', headers: v2Headers({ bios_version: 'v'.repeat(200) }), status: 400, message: 'BIOS version is invalid' },

  // 12. event id (v4)
  { name: 'an upper-case event id is invalid', headers: v2Headers({ event_id: '39CC109A1079DF96376693EBC7A0F632' }), status: 400, message: 'Event id is invalid' },
  { name: 'a 31-character event id is invalid', headers: v2Headers({ event_id: '39cc109a1079df96376693ebc7a0f63' }), status: 400, message: 'Event id is invalid' },
  { name: 'a non-hex event id is invalid', headers: v2Headers({ event_id: '39cc109a1079df96376693ebc7a0f63g' }), status: 400, message: 'Event id is invalid' },

  // 13. system name
  { name: 'v1 with a TID but no system_name: a clear 400 (upstream: 500)', headers: v1({ 'X-Telemetry-TID': UPSTREAM_TID }), status: 400, message: 'system name is missing' },
  { name: 'quotes are removed from system_name', headers: v2Headers({ system_name: '"ubuntu"', build: '22.04' }), status: 201, stored: { system_name: 'ubuntu', build: '22.04' } },

  // 14. build
  { name: 'a clear-linux-os build with letters is invalid', headers: v2Headers({ build: '39000a' }), status: 400, message: 'Clear Linux OS build version has invalid characters' },
  { name: 'quotes are removed from build', headers: v2Headers({ build: '"39010"' }), status: 201, stored: { build: '39010' } },
  { name: "another system's build with a space is invalid", headers: v2Headers({ system_name: 'ubuntu', build: '22 04' }), status: 400, message: 'Build version has invalid characters' },

  // 15. payload format version
  {
    name: "v1 with TID and system_name but no payload_format_version: upstream's int() message",
    headers: v1({ 'X-Telemetry-TID': UPSTREAM_TID, system_name: 'clear-linux-os' }),
    status: 400,
    message: "Error parsing payload_format_version, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
  },
  {
    name: "payload_format_version abc: upstream's int() message",
    headers: v2Headers({ payload_format_version: 'abc' }),
    status: 400,
    message: "Error parsing payload_format_version, invalid literal for int() with base 10: 'abc'",
  },
  {
    name: 'payload_format_version 2147483647 is out of range',
    headers: v2Headers({ payload_format_version: '2147483647' }),
    status: 400,
    message: 'Payload format version outside of range supported',
  },
  {
    name: 'payload_format_version below int32 is out of range (upstream: 500)',
    headers: v2Headers({ payload_format_version: '-2147483649' }),
    status: 400,
    message: 'Payload format version outside of range supported',
  },
  { name: 'payload_format_version -7 is accepted', headers: v2Headers({ payload_format_version: '-7' }), status: 201, stored: { payload_format_version: -7 } },
  { name: 'payload_format_version +5 is accepted', headers: v2Headers({ payload_format_version: '+5' }), status: 201, stored: { payload_format_version: 5 } },

  // 16. external
  { name: 'X-CLR-External: true marks the record external', headers: v2Headers({ 'X-CLR-External': 'true' }), status: 201, stored: { external: true } },
  { name: 'X-CLR-External other than exactly "true" is internal', headers: v2Headers({ 'X-CLR-External': 'True' }), status: 201, stored: { external: false } },

  // Body
  { name: 'a latin-1 body is stored decoded', headers: v2Headers(), body: Buffer.from('caf\xe9 \xff', 'latin1'), status: 201, stored: { payload: 'café ÿ' } },
  { name: 'a UTF-8 body is stored as is', headers: v2Headers(), body: 'café ✓', status: 201, stored: { payload: 'café ✓' } },
  {
    name: 'a form-encoded body is stored, not dropped (upstream stored "")',
    headers: v2Headers({ 'Content-Type': undefined }),
    body: 'a=b&c=d',
    status: 201,
    stored: { payload: 'a=b&c=d' },
  },
  { name: 'an empty body is accepted', headers: v2Headers(), body: '', status: 201, stored: { payload: '' } },
  { name: 'a 400 KiB body is accepted', headers: v2Headers(), body: 'x'.repeat(400 * 1024), status: 201 },
  { name: 'a NUL byte in the body is a 400 (upstream: 500)', headers: v2Headers(), body: Buffer.from('a\0b'), status: 400, message: 'payload contains a NUL byte, which cannot be stored' },
  {
    name: 'a v3 JSON body on the v2 endpoint has no headers: Record-Format-Version is invalid',
    headers: { 'X-Telemetry-TID': UPSTREAM_TID, 'Content-Type': 'application/json' },
    body: JSON.stringify(v3Body()),
    status: 400,
    message: 'Record-Format-Version is invalid',
  },
];

for (const backend of BACKENDS) {
  test(`v2 validation on ${backend.name}: every upstream rule and message`, { skip: backend.skip }, async (t) => {
    const collector = await startTestCollector(t, { backend });
    let accepted = 0;
    for (const [index, item] of cases.entries()) {
      await t.test(item.name, async () => {
        // Each case has its own payload: equal records would be stored once (deduplication).
        const response = await postV2(collector, item.headers, item.body ?? `hello ${index}\n`);
        const body = response.json();
        assert.equal(response.status, item.status, JSON.stringify(body));
        assert.match(response.headers['content-type'] ?? '', /^application\/json/);
        if (item.message !== undefined) assert.deepEqual(body, { message: item.message });
        if (item.status === 201) {
          accepted += 1;
          const stored = await collector.store.get(Number(response.json().id));
          assert.ok(stored, 'the answer names a stored record');
          assert.deepEqual({ ...stored, received_at: new Date(stored.received_at).toISOString() }, body);
          for (const [field, value] of Object.entries(item.stored ?? {})) assert.deepEqual(stored[field as keyof typeof stored], value, field);
        }
      });
    }
    const all = await collector.store.list({ filter: {}, limit: 1000 });
    assert.equal(all.length, accepted, 'rejected records are not stored');
  });
}

test('v3 validation: the same rules apply to JSON bodies', async (t) => {
  const collector = await startTestCollector(t);
  const severity = await postV3(collector, v3Body({ severity: '5' }));
  assert.equal(severity.status, 400);
  assert.deepEqual(severity.json(), { message: 'severity value is out of range' });

  const noSystem = await postV3(collector, v3Body({ system_name: undefined }));
  assert.equal(noSystem.status, 400);
  assert.deepEqual(noSystem.json(), { message: 'Record-Format-Version headers are invalid, System-Name missing' });

  const nul = await postV3(collector, v3Body({}, 'crash\u0000dump'));
  assert.deepEqual([nul.status, nul.json()], [400, { message: 'payload contains a NUL byte, which cannot be stored' }]);

  const nulField = await postV3(collector, v3Body({ host_type: 'a\u0000b' }));
  assert.deepEqual([nulField.status, nulField.json()], [400, { message: 'Host-Type contains a NUL character' }]);

  const noTid = await postV3(collector, v3Body(), {});
  assert.deepEqual([noTid.status, noTid.json()], [400, { message: 'Telemetry ID mismatch' }]);

  const numbers = await postV3(collector, { ...v3Body(), severity: 2, record_format_version: 4 });
  assert.equal(numbers.status, 201, 'numbers are read as their decimal text');
  assert.equal(numbers.json().severity, 2);

  assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 1, 'only the valid record is stored');
});

test('v3 bodies that are not a JSON object of strings get a 400 naming the problem', async (t) => {
  const collector = await startTestCollector(t);
  const notJson = await postV3(collector, '{"record_format_version": "4",');
  assert.equal(notJson.status, 400);
  assert.match(notJson.json().message as string, /^request body is not valid JSON \(/);

  const array = await postV3(collector, '[1,2]');
  assert.deepEqual([array.status, array.json()], [400, { message: 'request body must be a JSON object of record fields and "payload"' }]);

  const nested = await postV3(collector, { ...v3Body(), build: { major: 1 } });
  assert.deepEqual([nested.status, nested.json()], [400, { message: '"build" must be a string' }]);

  assert.equal((await collector.store.list({ filter: {}, limit: 10 })).length, 0);
});
