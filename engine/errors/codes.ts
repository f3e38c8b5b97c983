/**
 * Every code a TelemError carries, with what it means in one line. Codes are stable (scripts and
 * the CLI's exit statuses match on them): add codes, never rename them. The README's table of
 * error codes is generated from this registry (`npm run generate`).
 */
export const ERROR_CODES = {
  // Starting the agent or the collector.
  'policy-invalid': 'The policy has errors; its diagnostics say which.',
  'policy-unreadable': 'The policy cannot be read or parsed; its diagnostics say why.',
  locked: 'Another telem process holds the spool directory (or the SQLite file) this one would use.',
  'socket-in-use': 'Another process listens on the intake socket, or its path is something other than a socket.',
  'metrics-address': 'The metrics address is not HOST:PORT or PORT.',
  'listen-address': 'A collector address setting is not HOST:PORT.',
  'address-in-use': 'Another process listens on the address.',
  'address-denied': 'The operating system does not let this user listen on the address.',
  'database-setting': 'The collector database setting is neither sqlite:PATH nor a postgres:// URL.',
  'database-unavailable': 'The collector database cannot be opened (unreachable server, refused login, unusable file).',
  'auth-required':
    'The collector would serve its web UI and query API without login (collector.auth: none) on an address beyond loopback; set collector.auth: tokens, or start it with --insecure-no-auth.',
  'package-missing': 'An optional package this needs is not installed; the message names it.',
  'input-invalid': "A line of the records given to telem simulate is not a record of the collector's NDJSON export.",
  'collector-unavailable': 'The collector cannot be reached, or does not answer with records (telem simulate) or a fleet (telem fleet status).',
  system: 'The operating system refused an operation (a path that cannot be created, no space, …); the message names it.',
  'key-invalid': 'A key file or key text is not an Ed25519 key in the form telem keygen writes (PKCS#8 PEM private key, "ed25519:<base64>" public key).',
  'bundle-build': "telem bundle build was given what cannot make a bundle (a channel name, a sequence not above --previous's).",
  // Verifying a signed policy bundle (telem bundle verify, and the agent before it applies one).
  'bundle-format': 'The file is not a bundle of a format this telem reads (telem-bundle/1), or its manifest is malformed.',
  'bundle-tampered': 'A byte of the bundle differs from what was built: a file does not match its hash in the manifest, or the file is not in canonical form.',
  'bundle-unknown-key': 'No signature on the bundle is by a trusted key.',
  'bundle-signature': 'A signature by a trusted key does not verify over the manifest.',
  'bundle-expired': 'The bundle is past its not_after time.',
  'bundle-channel': 'The bundle is for another channel than the one expected.',
  'bundle-sequence': "The bundle's sequence is not above the sequence already applied.",
  'bundle-agent-version': 'The bundle needs a newer telem than this one (min_agent_version).',
  'bundle-fetch': 'The fleet source cannot be read: unreachable, an HTTP error, a missing file, or a bundle larger than the agent downloads.',
  'bundle-floor': "The bundle crosses the local policy's floor (lifts opt-in, or sends outside fleet.allowed_destinations); its diagnostics say where.",
  'collector-refused':
    'The collector refused an admin request (telem fleet halt|resume): no admin tokens configured, a missing or wrong token, or a rollout it has not seen; the message says which.',
  // API tokens (telem collector token).
  'token-name-invalid': 'An API token name is not letters, digits, ".", "_", "@" and "-" (at most 100), starting with a letter or digit.',
  'token-name-taken': 'An active API token already has this name (telem collector token create); revoke it or pick another name.',
  'token-unknown': 'No active API token has this name (telem collector token revoke).',
  'cohort-seed': 'The cohort seed file (/var/lib/telem/cohort-seed) holds something other than 32 hex digits.',
  // Changing what the collector serves.
  'crash-rule-invalid': 'A crash skip rule given to the collector (PUT /api/crash-rules) is not a pattern, is listed twice, or the list is too long; the message names the rule.',
  // Building and sending a record (the probe library, telem record, hprobe).
  'classification-length': 'The classification is empty or longer than 122 characters.',
  'classification-not-ascii': 'The classification has characters outside ASCII.',
  'classification-control': 'The classification has control characters.',
  'classification-part-length': 'A classification part is longer than 40 characters.',
  'classification-format': 'The classification is not three parts, most to least specific (vendor/product/event).',
  'severity-range': 'The severity is not 1 to 4.',
  'event-id-length': 'The event id is not 32 characters.',
  'event-id-character': 'The event id has characters other than lowercase hex digits.',
  'payload-version': 'The payload version is not an integer from 0 to 4294967295.',
  'payload-not-utf8': 'The payload is not UTF-8 text.',
  'payload-control': 'The payload has control characters other than whitespace.',
  'payload-too-large': 'The payload is over the size limit.',
  'header-missing': 'A record header has no value.',
  'header-line-break': 'A record header value has a line break or NUL.',
  'config-path': 'The configuration file path sent with the record is not valid.',
  'not-opted-in': 'The machine has not opted in to telemetry (telem opt-in).',
  'agent-unreachable': 'No agent accepts connections on the intake socket.',
  'agent-unconfirmed': 'The record was written but the agent did not confirm it (it may or may not have it).',
  // Built-in probes.
  'program-missing': 'A program a built-in probe runs (such as journalctl) is not installed or not on PATH; the message names it.',
  // The crash probe (telem crash-report, telem probe crashes --input).
  'core-invalid': 'The core file given to the crash probe cannot be read or is not an ELF core dump.',
  'core-pattern-invalid': 'telem crash-report --install was given a program path the kernel cannot run from kernel.core_pattern (not absolute, with spaces, or too long).',
  // The probe runner inside the agent.
  'probe-stopped': 'A built-in probe handed in a record after the agent had stopped it (a bug of the probe: the record is not kept).',
  // Explaining a record.
  'record-unknown': 'No journal line has this record id (never journaled, or pruned: the journal keeps retention.journal_entries lines).',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;
