/** Valid records for seeding a store directly, numbered so each is distinct, received in the last minutes (retention keeps them). */
import type { IncomingRecord } from '../../engine/collector/record/record.js';
import type { RecordStore } from '../../engine/collector/storage/store.js';

export function incomingRecord(index: number, overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  return {
    received_at: Date.now() - 600_000 + (index % 600_000),
    tenant: '6907c830-eed9-4ce9-81ae-76daf8d88f0f',
    protocol: 'v3',
    external: false,
    record_format_version: 4,
    classification: 'org.clearlinux/hello/world',
    severity: 1 + (index % 4),
    machine_id: `machine-${index % 97}`,
    creation_timestamp: 1_700_000_000 + index,
    arch: 'x86_64',
    host_type: 'host',
    build: String(39_000 + (index % 13)),
    kernel_version: '6.1',
    payload_format_version: 1,
    system_name: 'clear-linux-os',
    board_name: 'board',
    cpu_model: 'cpu',
    bios_version: 'bios',
    event_id: index.toString(16).padStart(32, '0'),
    payload: `payload ${index}\n`,
    ...overrides,
  };
}

/** Inserts `count` records numbered from `first`, in batches, classifications spread over `classifications`. */
export async function seedStore(store: RecordStore, count: number, classifications: readonly string[], first = 0): Promise<void> {
  const BATCH = 500;
  for (let start = 0; start < count; start += BATCH) {
    const records = Array.from({ length: Math.min(BATCH, count - start) }, (_, offset) => {
      const index = first + start + offset;
      return incomingRecord(index, { classification: classifications[index % classifications.length] as string });
    });
    await store.insert(records);
  }
}
