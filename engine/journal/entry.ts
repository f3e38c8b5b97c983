/** One journal line: what happened to one record at one destination. */

export type JournalOutcome = 'delivered' | 'dropped' | 'expired' | 'rejected';

export interface JournalEntry {
  /** Fresh random 32-hex id of this record in this agent (not the event id). */
  readonly recordId: string;
  /** When the outcome happened, in ms since the epoch. */
  readonly time: number;
  readonly classification: string;
  readonly eventId: string;
  /** Boot id of the machine when the outcome happened (/proc/sys/kernel/random/boot_id). */
  readonly bootId: string;
  readonly outcome: JournalOutcome;
  /** Why, for anything but delivered: rate_limited, spool_full, no_route, denied, http_400, … */
  readonly reason: string | null;
  readonly route: string | null;
  readonly destination: string | null;
  /** metadata.revision of the policy in force. */
  readonly policyRevision: number;
}
