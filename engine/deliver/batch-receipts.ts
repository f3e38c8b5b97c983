/**
 * Reads a telem collector's answer to a batch (POST /telem/v1/records): one result per record, in
 * the order sent, each naming the record_id it answers. `stored` and `duplicate` mean the collector
 * has the record (duplicate: from an earlier try of the same batch); `rejected` means it never will,
 * with upstream's reason. An answer that does not account for every record exactly is not trusted
 * at all: the whole batch is sent again, and record ids make that safe.
 */
import type { BatchItem, DeliveryResult } from './destination.js';

export type ReceiptReading = { readonly ok: true; readonly results: DeliveryResult[] } | { readonly ok: false; readonly problem: string };

interface Receipt {
  readonly record_id?: unknown;
  readonly status?: unknown;
  readonly reason?: unknown;
}

function resultOf(receipt: Receipt, status: number): DeliveryResult | string {
  if (receipt.status === 'stored') return { outcome: 'delivered', status };
  if (receipt.status === 'duplicate') return { outcome: 'delivered', status, duplicate: true };
  if (receipt.status === 'rejected') {
    const reason = typeof receipt.reason === 'string' && receipt.reason !== '' ? receipt.reason : 'no reason given';
    // No status: the request succeeded, so on_reject's "fix it at the destination and retry" does not apply to this record.
    return { outcome: 'rejected', reason: `collector: ${reason}` };
  }
  return `unknown status ${JSON.stringify(receipt.status)}`;
}

export function readReceipts(body: Buffer, items: readonly BatchItem[], status: number): ReceiptReading {
  let answer: unknown;
  try {
    answer = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, problem: 'the answer is not JSON' };
  }
  const receipts = (answer as { results?: unknown } | null)?.results;
  if (!Array.isArray(receipts)) return { ok: false, problem: 'the answer has no "results" list' };
  if (receipts.length !== items.length) return { ok: false, problem: `the answer has ${receipts.length} results for ${items.length} records` };
  const results: DeliveryResult[] = [];
  for (const [index, item] of items.entries()) {
    const receipt = (receipts[index] ?? {}) as Receipt;
    if (receipt.record_id !== item.id) return { ok: false, problem: `result ${index} names record ${JSON.stringify(receipt.record_id)}, not ${item.id}` };
    const result = resultOf(receipt, status);
    if (typeof result === 'string') return { ok: false, problem: `result ${index}: ${result}` };
    results.push(result);
  }
  return { ok: true, results };
}
