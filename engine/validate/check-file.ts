/**
 * Moved to engine/load/check-file.ts (loading a policy and validating it is load's job; validate
 * must not depend on load). cli/ still imports this path and is not this change's to edit: once it
 * imports engine/load/check-file.js, delete this file and its entry in the folder-cycle test.
 */
export { type CheckedPolicy, checkPolicyFile } from '../load/check-file.js';
