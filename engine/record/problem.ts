/** Why a value cannot go into a record: a stable code for programs, a sentence for people. */
import type { ErrorCode } from '../errors/codes.js';
import { TelemError } from '../errors/telem-error.js';

export interface RecordProblem {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Thrown by the probe library and the encoders when a record cannot be built or sent as asked. */
export class RecordError extends TelemError {
  constructor(problem: RecordProblem, options: { cause?: unknown } = {}) {
    super(problem.code, problem.message, options);
    this.name = 'RecordError';
  }
}
