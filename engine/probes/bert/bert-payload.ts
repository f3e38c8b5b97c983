/**
 * The BERT record's payload: what Linux prints for the region at boot (drivers/acpi/apei/bert.c
 * through cper_estatus_print), which is also what upstream sent when its kernel-log probe saw
 * "BERT: Error records from previous boot:" — so backends see the same text either way:
 *
 *     Crash Report:
 *     Reason: BERT: Error records from previous boot:
 *     [Hardware Error]: event severity: fatal
 *     [Hardware Error]:  block status: uncorrectable, 1 error data entry
 *     [Hardware Error]:  Error 0, type: fatal
 *     [Hardware Error]:   section type: unknown, 81212a96-09ed-4996-9471-8d729c8e69ed
 *     [Hardware Error]:   section length: 0xc10
 *     [Hardware Error]:   00000000: 00000001 00000000 00000000 01001002  ................
 *
 * Added to the kernel's text: the block status line, the name of a known section type beside its
 * GUID (the kernel decodes those instead; telem dumps every section's bytes), and the raw data.
 * Over 8192 bytes the lines at the end go, and one line says how many.
 */
import { fitLines } from '../payload-fit.js';
import type { BootErrorRegion, ErrorDataEntry, ErrorStatusBlock } from './error-status.js';

export const BERT_REASON = 'BERT: Error records from previous boot:';
const PREFIX = '[Hardware Error]: ';

const SEVERITIES = ['recoverable', 'fatal', 'corrected', 'info'];

// Section types of UEFI 2.10 appendix N.2.2 (the GUIDs of Linux's include/linux/cper.h).
const SECTION_TYPES: Readonly<Record<string, string>> = {
  '9876ccad-47b4-4bdb-b65e-16f193c4f3db': 'general processor error',
  'dc3ea0b0-a144-4797-b95b-53fa242b6e1d': 'IA32/X64 processor error',
  'e429faf1-3cb7-11d4-bca7-0080c73c8881': 'IA64 processor error',
  'e19e3d16-bc11-11e4-9caa-c2051d5d46b0': 'ARM processor error',
  'a5bc1114-6f64-4ede-b863-3e83ed7c83b1': 'memory error',
  '61ec04fc-48e6-d813-25c9-8daa44750b76': 'memory error 2',
  'd995e954-bbc1-430f-ad91-b44dcb3c6f35': 'PCIe error',
  'c5753963-3b84-4095-bf78-eddad3f9c9dd': 'PCI/PCI-X bus error',
  'eb5e4685-ca66-4769-b6a2-26068b001326': 'PCI component/device error',
  '81212a96-09ed-4996-9471-8d729c8e69ed': 'firmware error record reference',
};

export function severityName(severity: number): string {
  return SEVERITIES[severity] ?? 'unknown';
}

export function bertPayload(region: BootErrorRegion): string {
  const lines = region.blocks.flatMap((block) => blockLines(block));
  if (region.problem !== undefined) lines.push(`[Firmware Bug]: BERT: ${region.problem}`);
  return fitLines({ head: ['Crash Report:', `Reason: ${BERT_REASON}`], body: lines, cutLine: (left) => `${PREFIX}… ${left} more lines left out: a payload holds at most 8192 bytes` });
}

function blockLines(block: ErrorStatusBlock): string[] {
  const lines: string[] = [];
  if (block.severity === 2) lines.push(`${PREFIX}It has been corrected by h/w and requires no further action`);
  lines.push(`${PREFIX}event severity: ${severityName(block.severity)}`, `${PREFIX} block status: ${blockStatusText(block.blockStatus)}`);
  for (const [index, entry] of block.entries.entries()) lines.push(...entryLines(entry, index));
  if (block.rawData.length > 0) lines.push(`${PREFIX} raw data length: 0x${block.rawData.length.toString(16)}`, ...hexDump(block.rawData, `${PREFIX}  `));
  return lines;
}

function blockStatusText(status: number): string {
  const flags = ['uncorrectable', 'correctable', 'multiple uncorrectable', 'multiple correctable'].filter((_name, bit) => (status & (1 << bit)) !== 0);
  const count = (status >>> 4) & 0x3ff;
  return [...flags, `${count} error data ${count === 1 ? 'entry' : 'entries'}`].join(', ');
}

function entryLines(entry: ErrorDataEntry, index: number): string[] {
  const lines = [`${PREFIX} Error ${index}, type: ${severityName(entry.severity)}`];
  if ((entry.validationBits & 1) !== 0) lines.push(`${PREFIX}  fru_id: ${entry.fruId}`);
  if ((entry.validationBits & 2) !== 0) lines.push(`${PREFIX}  fru_text: ${printableAscii(entry.fruText)}`);
  lines.push(
    `${PREFIX}  section type: ${SECTION_TYPES[entry.sectionType] ?? 'unknown'}, ${entry.sectionType}`,
    `${PREFIX}  section length: 0x${entry.data.length.toString(16)}`,
    ...hexDump(entry.data, `${PREFIX}  `),
  );
  return lines;
}

/**
 * Linux's print_hex_dump(prefix, DUMP_PREFIX_OFFSET, 16, 4, …, true): the offset, four 32-bit
 * little-endian words (bytes one by one on a last line that is not whole words), the ASCII.
 */
export function hexDump(data: Buffer, prefix: string): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < data.length; offset += 16) {
    const row = data.subarray(offset, offset + 16);
    const hex =
      row.length % 4 === 0
        ? Array.from({ length: row.length / 4 }, (_unused, word) =>
            row
              .readUInt32LE(word * 4)
              .toString(16)
              .padStart(8, '0'),
          ).join(' ')
        : [...row].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const width = row.length % 4 === 0 ? 35 : 47;
    lines.push(`${prefix}${offset.toString(16).padStart(8, '0')}: ${hex.padEnd(width)}  ${printableAscii(row.toString('latin1'))}`);
  }
  return lines;
}

function printableAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '.');
}
