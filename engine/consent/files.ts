/** Upstream's consent and identity files (reference §E.7, §E.9); always resolved under the root. */
export const OPT_IN_FILE = '/etc/telemetrics/opt-in';
export const STATIC_MACHINE_ID_FILE = '/etc/telemetrics/opt-in-static-machine-id';
export const MACHINE_ID_FILE = '/var/lib/telemetry/machine_id';

/** What libtelemetry's users see when the machine has not opted in; scripts match it. */
export const NOT_OPTED_IN_MESSAGE = "Unable to send record. Make sure to opt-in to telemetry first 'telemctl opt-in'";
