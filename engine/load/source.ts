/**
 * Moved to engine/source/policy-source.ts, which load, validate and legacy all read. cli/ still
 * imports this path and is not this change's to edit: once it imports the new one, delete this file.
 */
export { type PolicySource, type Position, type SourceFormat, placeDiagnostics } from '../source/policy-source.js';
