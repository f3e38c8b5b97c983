/** How the key readers say what upstream would have done with a value; translate.ts places it at file:line. */
import type { DiagnosticCode } from '../diagnostics/codes.js';
import type { LegacyKey } from './keys.js';

export interface Reporter {
  warn(code: DiagnosticCode, message: string, hint?: string): void;
  error(code: DiagnosticCode, message: string, hint?: string): void;
  /** Not a problem: a choice the translation made that the user should know about. */
  note(code: DiagnosticCode, message: string): void;
}

/** The reporter for one key (diagnostics land on the line that sets it). */
export type ReportFor = (key: LegacyKey) => Reporter;

const silent: Reporter = { warn() {}, error() {}, note() {} };

/** For conversions whose messages nobody reads (the re-translation behind `--to-conf`). */
export const ignoreReports: ReportFor = () => silent;
