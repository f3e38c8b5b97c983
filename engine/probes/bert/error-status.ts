/**
 * The Boot Error Region the ACPI BERT table points at (ACPI 6.5 §18.3.1, exposed by Linux as
 * /sys/firmware/acpi/tables/data/BERT): Generic Error Status Blocks one after another, each
 *   block status (u32)   bit 0 uncorrectable valid, 1 correctable valid, 2 multiple
 *                        uncorrectable, 3 multiple correctable, bits 4–13 the entry count
 *   raw data offset, raw data length, data length, error severity (u32 each)
 *   generic error data entries (data length bytes), then the raw data
 * and each entry (§18.3.2.7.1)
 *   section type (GUID), error severity (u32), revision (u16), validation bits (u8), flags (u8),
 *   error data length (u32), FRU id (GUID), FRU text (20 bytes), a timestamp (u64) from
 *   revision 3.0 on, then the section's data.
 * Read the way Linux reads it (drivers/acpi/apei/bert.c, cper.c): a block of status 0 ends the
 * region, a block longer than what is left or with entries that do not add up ends it with a
 * problem named as the kernel names it.
 */

export interface ErrorDataEntry {
  /** The section type GUID, in the usual text form. */
  readonly sectionType: string;
  readonly severity: number;
  readonly revision: number;
  readonly validationBits: number;
  readonly flags: number;
  readonly fruId: string;
  readonly fruText: string;
  readonly data: Buffer;
}

export interface ErrorStatusBlock {
  readonly blockStatus: number;
  readonly rawDataOffset: number;
  readonly rawDataLength: number;
  readonly dataLength: number;
  readonly severity: number;
  readonly entries: readonly ErrorDataEntry[];
  readonly rawData: Buffer;
}

export interface BootErrorRegion {
  readonly blocks: readonly ErrorStatusBlock[];
  /** "Truncated status block (length: 4660)." or "Invalid error record.", when the region ended early. */
  readonly problem?: string;
}

const BLOCK_HEADER = 20;
const ENTRY_HEADER = 72;
const ENTRY_HEADER_V3 = 80;

export function parseBootErrorRegion(region: Buffer): BootErrorRegion {
  const blocks: ErrorStatusBlock[] = [];
  let offset = 0;
  while (region.length - offset >= BLOCK_HEADER) {
    const blockStatus = region.readUInt32LE(offset);
    const rawDataOffset = region.readUInt32LE(offset + 4);
    const rawDataLength = region.readUInt32LE(offset + 8);
    const dataLength = region.readUInt32LE(offset + 12);
    const severity = region.readUInt32LE(offset + 16);
    const length = Math.max(rawDataOffset === 0 ? 0 : rawDataOffset + rawDataLength, BLOCK_HEADER + dataLength);
    if (region.length - offset < length) return { blocks, problem: `Truncated status block (length: ${length}).` };
    if (blockStatus === 0) break;
    const entries = rawDataLength !== 0 && rawDataOffset < BLOCK_HEADER + dataLength ? undefined : parseEntries(region.subarray(offset + BLOCK_HEADER, offset + BLOCK_HEADER + dataLength));
    if (entries === undefined) return { blocks, problem: 'Invalid error record.' };
    const rawData = rawDataLength === 0 ? Buffer.alloc(0) : region.subarray(offset + rawDataOffset, offset + rawDataOffset + rawDataLength);
    blocks.push({ blockStatus, rawDataOffset, rawDataLength, dataLength, severity, entries, rawData });
    offset += length;
  }
  return { blocks };
}

/** The entries of a block, or undefined when they do not fill its data exactly. */
function parseEntries(data: Buffer): ErrorDataEntry[] | undefined {
  const entries: ErrorDataEntry[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < ENTRY_HEADER) return undefined;
    const revision = data.readUInt16LE(offset + 20);
    const header = revision >> 8 >= 3 ? ENTRY_HEADER_V3 : ENTRY_HEADER;
    const errorDataLength = data.readUInt32LE(offset + 24);
    if (data.length - offset < header + errorDataLength) return undefined;
    const fruText = data.subarray(offset + 44, offset + 64).toString('latin1');
    entries.push({
      sectionType: formatGuid(data, offset),
      severity: data.readUInt32LE(offset + 16),
      revision,
      validationBits: data.readUInt8(offset + 22),
      flags: data.readUInt8(offset + 23),
      fruId: formatGuid(data, offset + 28),
      fruText: fruText.split('\0', 1)[0] ?? '',
      data: data.subarray(offset + header, offset + header + errorDataLength),
    });
    offset += header + errorDataLength;
  }
  return entries;
}

/** An EFI GUID as text: its first three fields are stored little-endian (Linux's %pUl). */
export function formatGuid(bytes: Buffer, offset: number): string {
  const hex = (start: number, length: number, reverse: boolean): string => {
    const part = [...bytes.subarray(offset + start, offset + start + length)];
    return (reverse ? part.reverse() : part).map((byte) => byte.toString(16).padStart(2, '0')).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 2, true)}-${hex(6, 2, true)}-${hex(8, 2, false)}-${hex(10, 6, false)}`;
}
