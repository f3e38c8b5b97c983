import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { TelemError } from '../../../engine/errors/telem-error.js';
import { BOOT_FILE } from '../../../engine/probes/bert/boot-marker.js';
import { parseBootErrorRegion } from '../../../engine/probes/bert/error-status.js';
import { bertProbe } from '../../../engine/probes/bert/probe.js';
import type { ProbeSettings } from '../../../engine/probes/probe.js';
import { tempDir } from '../../helpers/tmp.js';
import { type TestProbeContext, probeContext, waitFor, writeBootId } from '../kernel/probe-context.js';

const SETTINGS: ProbeSettings['bert'] = { enabled: true, path: '/sys/firmware/acpi/tables/data/BERT', classification: 'org.clearlinux/bert/debug', severity: 2 };

const FIRMWARE_RECORD_REFERENCE = '81212a96-09ed-4996-9471-8d729c8e69ed';
const PLATFORM_MEMORY = 'a5bc1114-6f64-4ede-b863-3e83ed7c83b1';

/** A GUID's 16 bytes as firmware stores them: the first three fields little-endian. */
function guid(text: string): Buffer {
  const [a = '', b = '', c = '', d = '', e = ''] = text.split('-');
  const le = (hex: string): Buffer => Buffer.from(hex, 'hex').reverse();
  return Buffer.concat([le(a), le(b), le(c), Buffer.from(d + e, 'hex')]);
}

function u32(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => buffer.writeUInt32LE(value, index * 4));
  return buffer;
}

interface EntryFields {
  sectionType: string;
  severity: number;
  revision?: number;
  validationBits?: number;
  fruId?: string;
  fruText?: string;
  data: Buffer;
}

/** A Generic Error Data Entry: the 72-byte header (80 from revision 3.0, with a timestamp), then the data. */
function entry(fields: EntryFields): Buffer {
  const revision = fields.revision ?? 0x0201;
  const header = Buffer.alloc(revision >> 8 >= 3 ? 80 : 72);
  guid(fields.sectionType).copy(header, 0);
  header.writeUInt32LE(fields.severity, 16);
  header.writeUInt16LE(revision, 20);
  header.writeUInt8(fields.validationBits ?? 0, 22);
  header.writeUInt8(0, 23);
  header.writeUInt32LE(fields.data.length, 24);
  guid(fields.fruId ?? '00000000-0000-0000-0000-000000000000').copy(header, 28);
  header.write(fields.fruText ?? '', 44, 20, 'latin1');
  return Buffer.concat([header, fields.data]);
}

/** A Generic Error Status Block around `entries`, with the raw data after them. */
function block(fields: { blockStatus: number; severity: number; entries: Buffer[]; raw?: Buffer }): Buffer {
  const data = Buffer.concat(fields.entries);
  const raw = fields.raw ?? Buffer.alloc(0);
  return Buffer.concat([u32(fields.blockStatus, raw.length === 0 ? 0 : 20 + data.length, raw.length, data.length, fields.severity), data, raw]);
}

const FATAL_BLOCK = block({
  blockStatus: (1 << 4) | 1,
  severity: 1,
  entries: [
    entry({
      sectionType: FIRMWARE_RECORD_REFERENCE,
      severity: 1,
      validationBits: 2,
      fruText: 'CPU0 DIMM A1',
      data: Buffer.concat([u32(1, 0, 0, 0x01001002), Buffer.from('ERRO', 'latin1')]),
    }),
  ],
});
const FATAL_PAYLOAD = [
  'Crash Report:',
  'Reason: BERT: Error records from previous boot:',
  '[Hardware Error]: event severity: fatal',
  '[Hardware Error]:  block status: uncorrectable, 1 error data entry',
  '[Hardware Error]:  Error 0, type: fatal',
  '[Hardware Error]:   fru_text: CPU0 DIMM A1',
  `[Hardware Error]:   section type: firmware error record reference, ${FIRMWARE_RECORD_REFERENCE}`,
  '[Hardware Error]:   section length: 0x14',
  '[Hardware Error]:   00000000: 00000001 00000000 00000000 01001002  ................',
  '[Hardware Error]:   00000010: 4f525245                             ERRO',
  '',
].join('\n');

async function bertFile(root: string, content: Buffer, systemPath = SETTINGS.path): Promise<string> {
  const file = path.join(root, systemPath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

test('bert probe once: a fatal block is described as Linux prints it, with its section dumped', async (t) => {
  const root = await tempDir(t);
  await bertFile(root, Buffer.concat([FATAL_BLOCK, Buffer.alloc(64)]));
  assert.deepEqual(await bertProbe.once(SETTINGS, { root }), [{ classification: 'org.clearlinux/bert/debug', severity: 2, payload: FATAL_PAYLOAD }]);
});

test('bert probe once: every block until one of status 0; a corrected block, a revision 3 entry with its FRU id, the raw data, bytes of a part word', async (t) => {
  const root = await tempDir(t);
  const corrected = block({
    blockStatus: (2 << 4) | 0b1010,
    severity: 2,
    entries: [
      entry({ sectionType: PLATFORM_MEMORY, severity: 2, revision: 0x0300, validationBits: 1, fruId: '11223344-5566-7788-99aa-bbccddeeff00', data: Buffer.from([0x41, 0x42, 0x43]) }),
      entry({ sectionType: '01234567-89ab-cdef-0123-456789abcdef', severity: 3, data: Buffer.alloc(0) }),
    ],
    raw: Buffer.from('raw!', 'latin1'),
  });
  const region = Buffer.concat([FATAL_BLOCK, corrected, u32(0, 0, 0, 0, 0), Buffer.from('left over, never read')]);
  const input = path.join(root, 'BERT.bin');
  await writeFile(input, region);
  const [event] = await bertProbe.once({ ...SETTINGS, classification: 'example.org/firmware/bert', severity: 3 }, { root, input });
  assert.equal(event?.classification, 'example.org/firmware/bert');
  assert.equal(event?.severity, 3);
  assert.equal(
    event?.payload,
    FATAL_PAYLOAD +
      [
        '[Hardware Error]: It has been corrected by h/w and requires no further action',
        '[Hardware Error]: event severity: corrected',
        '[Hardware Error]:  block status: correctable, multiple correctable, 2 error data entries',
        '[Hardware Error]:  Error 0, type: corrected',
        '[Hardware Error]:   fru_id: 11223344-5566-7788-99aa-bbccddeeff00',
        `[Hardware Error]:   section type: memory error, ${PLATFORM_MEMORY}`,
        '[Hardware Error]:   section length: 0x3',
        '[Hardware Error]:   00000000: 41 42 43                                         ABC',
        '[Hardware Error]:  Error 1, type: info',
        '[Hardware Error]:   section type: unknown, 01234567-89ab-cdef-0123-456789abcdef',
        '[Hardware Error]:   section length: 0x0',
        '[Hardware Error]:  raw data length: 0x4',
        '[Hardware Error]:   00000000: 21776172                             raw!',
        '',
      ].join('\n'),
  );
});

test('bert probe: a region that ends early says so as Linux does, after the blocks it could read', () => {
  const truncated = parseBootErrorRegion(Buffer.concat([FATAL_BLOCK, u32(1, 0, 0, 4096, 1)]));
  assert.equal(truncated.blocks.length, 1);
  assert.equal(truncated.problem, 'Truncated status block (length: 4116).');
  const invalid = parseBootErrorRegion(Buffer.concat([u32(1, 0, 0, 40, 1), Buffer.alloc(40)]));
  assert.deepEqual(invalid, { blocks: [], problem: 'Invalid error record.' });
  const overlapping = parseBootErrorRegion(Buffer.concat([u32(1, 8, 4, 0, 1), Buffer.alloc(16)]));
  assert.equal(overlapping.problem, 'Invalid error record.');
  assert.deepEqual(parseBootErrorRegion(Buffer.alloc(256)), { blocks: [] });
  assert.deepEqual(parseBootErrorRegion(Buffer.alloc(0)), { blocks: [] });
});

test('bert probe once: a region that only ends early still gives a record; an empty region none', async (t) => {
  const root = await tempDir(t);
  const input = path.join(root, 'BERT.bin');
  await writeFile(input, u32(1, 0, 0, 4096, 1));
  const [event] = await bertProbe.once(SETTINGS, { root, input });
  assert.equal(event?.payload, 'Crash Report:\nReason: BERT: Error records from previous boot:\n[Firmware Bug]: BERT: Truncated status block (length: 4116).\n');
  await writeFile(input, Buffer.alloc(4096));
  assert.deepEqual(await bertProbe.once(SETTINGS, { root, input }), []);
});

test('bert probe once: a long section is dumped until the payload is full, then one line says how many lines are left out', async (t) => {
  const root = await tempDir(t);
  await bertFile(root, block({ blockStatus: (1 << 4) | 1, severity: 1, entries: [entry({ sectionType: FIRMWARE_RECORD_REFERENCE, severity: 1, data: Buffer.alloc(3088, 0x5a) })] }));
  const [event] = await bertProbe.once(SETTINGS, { root });
  assert.ok(event);
  assert.ok(Buffer.byteLength(event.payload) <= 8192, `${Buffer.byteLength(event.payload)} bytes`);
  const lines = event.payload.split('\n');
  const dumped = lines.filter((line) => /^\[Hardware Error\]: {3}[0-9a-f]{8}: /.test(line));
  assert.equal(lines.at(-2), `[Hardware Error]: … ${193 - dumped.length} more lines left out: a payload holds at most 8192 bytes`);
  assert.equal(dumped.at(-1), `[Hardware Error]:   ${((dumped.length - 1) * 16).toString(16).padStart(8, '0')}: 5a5a5a5a 5a5a5a5a 5a5a5a5a 5a5a5a5a  ZZZZZZZZZZZZZZZZ`);
});

test('bert probe once: no BERT table is nothing to send; an input that is not there is a system error naming it', async (t) => {
  const root = await tempDir(t);
  assert.deepEqual(await bertProbe.once(SETTINGS, { root }), []);
  await assert.rejects(bertProbe.once(SETTINGS, { root, input: path.join(root, 'missing.bin') }), (error: unknown) => {
    assert.ok(error instanceof TelemError);
    assert.equal(error.code, 'system');
    assert.match(error.message, /^cannot read the BERT data .*missing\.bin: no such file$/);
    return true;
  });
});

async function runOnce(t: Parameters<typeof probeContext>[0], context: TestProbeContext): Promise<void> {
  const running = bertProbe.start(SETTINGS, context);
  t.after(() => running.stop());
  await running.stop();
}

test('bert probe: one record per boot — not again in the same boot, again after a reboot', async (t) => {
  const context = await probeContext(t);
  await bertFile(context.root, FATAL_BLOCK);
  await runOnce(t, context);
  assert.deepEqual(
    context.events.map((event) => event.payload),
    [FATAL_PAYLOAD],
  );
  assert.ok(existsSync(path.join(context.stateDir, BOOT_FILE)));
  await runOnce(t, context);
  assert.equal(context.events.length, 1, 'the same boot');
  await writeBootId(context.root, '99999999-8888-4777-8666-555555555555');
  await runOnce(t, context);
  assert.equal(context.events.length, 2, 'a new boot');
});

test('bert probe: without a BERT table the boot counts as dealt with; a refused emit (the agent stopping) leaves it to the next start', async (t) => {
  const context = await probeContext(t);
  await runOnce(t, context);
  assert.equal(context.events.length, 0);
  assert.ok(existsSync(path.join(context.stateDir, BOOT_FILE)));

  const other = await probeContext(t);
  await bertFile(other.root, FATAL_BLOCK);
  other.answer = () => Promise.reject(new Error('the agent is stopping'));
  await runOnce(t, other);
  assert.equal(other.events.length, 1);
  assert.ok(!existsSync(path.join(other.stateDir, BOOT_FILE)));
  other.answer = () => Promise.resolve(true);
  const running = bertProbe.start(SETTINGS, other);
  t.after(() => running.stop());
  await waitFor(() => existsSync(path.join(other.stateDir, BOOT_FILE)), 'the boot remembered');
  assert.equal(other.events.length, 2);
});

test('bert probe: what it can send is the classification of its settings', () => {
  assert.deepEqual(bertProbe.classifications({ ...SETTINGS, classification: 'example.org/firmware/bert' }), ['example.org/firmware/bert']);
  assert.equal(bertProbe.name, 'bert');
});
