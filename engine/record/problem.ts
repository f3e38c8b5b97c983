/** Why a value cannot go into a record: a stable code for programs, a sentence for people. */
export interface RecordProblem {
  readonly code: string;
  readonly message: string;
}

/** Thrown by the probe library and the encoders when a record cannot be built as asked. */
export class RecordError extends Error {
  readonly code: string;

  constructor(problem: RecordProblem) {
    super(problem.message);
    this.name = 'RecordError';
    this.code = problem.code;
  }
}
