/** Records for the population and machine-check views: one v3 record a call, created on a given day after CREATED. */
import assert from 'node:assert/strict';
import { type CollectorUrl, postV3, v3Body } from './collector-helpers.js';

export const DAY = 86_400;
/** 2026-01-01T00:00:00Z, seconds. */
export const CREATED = 1_767_225_600;

let events = 0;

/** Posts one record (a heartbeat unless `fields` says otherwise) created at CREATED + day days + 10 minutes. */
export async function postOnDay(collector: CollectorUrl, fields: Record<string, string>, day: number): Promise<void> {
  events += 1;
  const body = v3Body({ classification: 'org.clearlinux/heartbeat/ping', event_id: events.toString(16).padStart(32, '0'), creation_timestamp: String(CREATED + day * DAY + 600), ...fields });
  const response = await postV3(collector, body);
  assert.equal(response.status, 201, response.body.toString());
}
