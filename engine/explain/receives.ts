/**
 * What a destination is given for each record, from the clients that build it
 * (engine/deliver/record-json.ts for v3 bodies and files, http-request.ts for v2 headers).
 */
import type { ResolvedDestination } from '../../schemas/resolved.js';
import { RECORD_HEADERS } from '../record/fields.js';

export interface Receives {
  readonly type: ResolvedDestination['type'];
  /** Whether records leave this machine (an HTTP collector); a file or local destination keeps them here. */
  readonly leavesMachine: boolean;
  /** Where: the URL, the file, or null for local. */
  readonly target: string | null;
  /** The record fields sent or written, in wire order; empty for local. */
  readonly fields: readonly string[];
  /** How they travel, in a few words. */
  readonly form: string;
}

const HTTP_FORM = {
  v3: (tid: string) => `HTTP POST, v3 JSON body (the ${RECORD_HEADERS.length} record fields and the payload), tenant id in ${tid}`,
  v2: (tid: string) => `HTTP POST, v2: the ${RECORD_HEADERS.length} record fields as HTTP headers, the payload as the body, tenant id in ${tid}`,
  telem: (tid: string) => `HTTP POST, telem batches: NDJSON, per record the v3 JSON object and a record_id, tenant id in ${tid}`,
} as const;

export function receivesOf(destination: ResolvedDestination): Receives {
  switch (destination.type) {
    case 'http':
      return {
        type: 'http',
        leavesMachine: true,
        target: destination.url,
        fields: [...RECORD_HEADERS, 'payload'],
        form: HTTP_FORM[destination.protocol](destination.tid_header),
      };
    case 'file':
      return { type: 'file', leavesMachine: false, target: destination.path, fields: [...RECORD_HEADERS, 'payload'], form: `appended to a local NDJSON file (the v3 JSON object per line)` };
    case 'local':
      return { type: 'local', leavesMachine: false, target: null, fields: [], form: 'kept on this machine: a journal line, and the payload when retention.keep_payloads allows' };
  }
}
