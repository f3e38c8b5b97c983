/** Collection: redaction patterns compile, limits agree with intake, something is collected. */
import { formatSize } from '../../../schemas/units.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { globCovers } from '../../route/glob.js';
import type { Check } from './check.js';

export const checkCollection: Check = (policy) => {
  const diagnostics: Diagnostic[] = [];
  const { collection, intake } = policy;
  collection.redact.forEach((rule, index) => {
    try {
      new RegExp(rule.pattern, 'g');
    } catch (error) {
      diagnostics.push({
        code: 'invalid-redaction-pattern',
        severity: 'error',
        message: `redaction pattern does not compile: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
        path: ['collection', 'redact', index, 'pattern'],
        hint: "patterns are JavaScript regular expressions; in YAML, single quotes keep backslashes as written: '\\d+'",
      });
    }
  });
  if (collection.max_payload > intake.max_payload) {
    diagnostics.push({
      code: 'payload-limit-unreachable',
      severity: 'warning',
      message: `collection.max_payload ${formatSize(collection.max_payload)} is above intake.max_payload ${formatSize(intake.max_payload)}; the intake limit applies first`,
      path: ['collection', 'max_payload'],
    });
  }
  const everythingDenied = collection.allow.every((allowed) => collection.deny.some((denied) => globCovers(denied, allowed)));
  if (collection.allow.length === 0 || everythingDenied) {
    diagnostics.push({
      code: 'nothing-collected',
      severity: 'warning',
      message: 'collection denies everything it allows: no record will be collected',
      path: ['collection'],
    });
  }
  return diagnostics;
};
