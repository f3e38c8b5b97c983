/** Exit codes shared by every telem command, and the one each engine error code ends a command with. */
import type { ErrorCode } from '../engine/errors/codes.js';

export const EXIT_OK = 0;
/** The input was read and is wrong (policy errors, rejected records). */
export const EXIT_INVALID = 1;
/** The command line was wrong, a named file could not be read, or the machine would not let it start. */
export const EXIT_USAGE = 2;
/** Something asked for by name (a record id) does not exist. */
export const EXIT_NOT_FOUND = 3;
/** A bug: an exception nothing expected (sysexits EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** Every code has an entry, so a new code cannot reach a user without an exit status. */
const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  'policy-invalid': EXIT_INVALID,
  'policy-unreadable': EXIT_USAGE,
  locked: EXIT_USAGE,
  'socket-in-use': EXIT_USAGE,
  'metrics-address': EXIT_USAGE,
  'listen-address': EXIT_USAGE,
  'address-in-use': EXIT_USAGE,
  'address-denied': EXIT_USAGE,
  'database-setting': EXIT_USAGE,
  'database-unavailable': EXIT_USAGE,
  'auth-required': EXIT_USAGE,
  'token-name-invalid': EXIT_USAGE,
  'token-name-taken': EXIT_INVALID,
  'token-unknown': EXIT_NOT_FOUND,
  'package-missing': EXIT_USAGE,
  'input-invalid': EXIT_USAGE,
  'collector-unavailable': EXIT_USAGE,
  'collector-refused': EXIT_INVALID,
  system: EXIT_USAGE,
  'key-invalid': EXIT_USAGE,
  'bundle-build': EXIT_USAGE,
  'bundle-format': EXIT_INVALID,
  'bundle-tampered': EXIT_INVALID,
  'bundle-unknown-key': EXIT_INVALID,
  'bundle-signature': EXIT_INVALID,
  'bundle-expired': EXIT_INVALID,
  'bundle-channel': EXIT_INVALID,
  'bundle-sequence': EXIT_INVALID,
  'bundle-agent-version': EXIT_INVALID,
  'bundle-floor': EXIT_INVALID,
  'cohort-seed': EXIT_USAGE,
  'crash-rule-invalid': EXIT_INVALID,
  'bundle-fetch': EXIT_USAGE,
  'classification-length': EXIT_INVALID,
  'classification-not-ascii': EXIT_INVALID,
  'classification-control': EXIT_INVALID,
  'classification-part-length': EXIT_INVALID,
  'classification-format': EXIT_INVALID,
  'severity-range': EXIT_INVALID,
  'event-id-length': EXIT_INVALID,
  'event-id-character': EXIT_INVALID,
  'payload-version': EXIT_INVALID,
  'payload-not-utf8': EXIT_INVALID,
  'payload-control': EXIT_INVALID,
  'payload-too-large': EXIT_INVALID,
  'header-missing': EXIT_INVALID,
  'header-line-break': EXIT_INVALID,
  'config-path': EXIT_INVALID,
  'not-opted-in': EXIT_INVALID,
  'agent-unreachable': EXIT_INVALID,
  'agent-unconfirmed': EXIT_INVALID,
  'program-missing': EXIT_USAGE,
  'core-invalid': EXIT_USAGE,
  'core-pattern-invalid': EXIT_USAGE,
  'probe-stopped': EXIT_INTERNAL,
  'record-unknown': EXIT_NOT_FOUND,
};

export function exitStatusOf(code: ErrorCode): number {
  return EXIT_STATUS[code];
}
