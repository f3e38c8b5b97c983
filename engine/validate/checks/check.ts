import type { ParsedPolicy } from '../../../schemas/policy.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';

/** A semantic check: reads a schema-valid policy, returns what is wrong with it. */
export type Check = (policy: ParsedPolicy) => Diagnostic[];
