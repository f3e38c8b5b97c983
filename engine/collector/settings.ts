/**
 * Moved to engine/collector/config/settings.ts, so that http/ can read the settings without
 * importing from the folder that wires http/ in. cli/ still imports this path and is being
 * reworked elsewhere: once it imports the new one, delete this file.
 */
export * from './config/settings.js';
