/**
 * The one error type the engine throws at its boundary (starting an agent or a collector,
 * building and sending a record): a stable code from codes.ts, a sentence for people, what to do
 * about it, and the error underneath. The CLI prints message and hint and picks the exit status
 * from the code; a library user switches on the code. Anything else that escapes is a bug.
 */
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ErrorCode } from './codes.js';

export type { ErrorCode } from './codes.js';

export interface TelemErrorOptions {
  readonly hint?: string | undefined;
  readonly cause?: unknown;
  /** The policy's findings, for policy-invalid and policy-unreadable. */
  readonly diagnostics?: readonly Diagnostic[];
}

export class TelemError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly diagnostics: readonly Diagnostic[];

  constructor(code: ErrorCode, message: string, options: TelemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TelemError';
    this.code = code;
    this.hint = options.hint;
    this.diagnostics = options.diagnostics ?? [];
  }
}

/** A failed system call as Node reports it: an errno code (ENOENT, EADDRINUSE, …) and the call. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string; syscall: string } {
  const { code, syscall, errno } = (error ?? {}) as NodeJS.ErrnoException;
  return error instanceof Error && typeof code === 'string' && typeof syscall === 'string' && typeof errno === 'number';
}

/**
 * What a start-up step threw, as a TelemError: coded errors pass through, a refused system call
 * becomes `system` (the machine, not the code, is at fault), anything else is rethrown as the bug it is.
 */
export function asStartError(error: unknown): TelemError {
  if (error instanceof TelemError) return error;
  if (isSystemError(error)) {
    const listening = error.syscall === 'listen' || error.syscall === 'bind';
    const code = listening && error.code === 'EADDRINUSE' ? 'address-in-use' : listening && error.code === 'EACCES' ? 'address-denied' : 'system';
    return new TelemError(code, error.message, { cause: error });
  }
  throw error;
}
