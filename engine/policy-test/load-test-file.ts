/**
 * Reads one `*.policy-test.yaml`: the document (with positions), its schema, the policy it names
 * (loaded and validated as `telem validate` does) and its frame files. Anything wrong is a
 * diagnostic placed at file:line, and the file's cases do not run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildPolicyTestJsonSchema } from '../../schemas/artifacts.js';
import { type PolicyTestFile, type TestRecordInput, policyTestSchema } from '../../schemas/policy-test.js';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { type Diagnostic, hasErrors } from '../diagnostics/diagnostic.js';
import { sourceFromText } from '../load/yaml-source.js';
import { type Position, placeDiagnostics } from '../source/policy-source.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits, decodeFrame, encodeFrame } from '../record/frame.js';
import { RecordError } from '../record/problem.js';
import { inputRecord } from './test-records.js';
import type { TelemetryRecord } from '../record/fields.js';
import { checkPolicyFile } from '../load/check-file.js';
import { issueMessage, issuesToDiagnostics } from '../validate/schema-issues.js';

export interface LoadedTestFile {
  readonly file: string;
  readonly test: PolicyTestFile;
  readonly policy: ResolvedPolicy;
  /** The policy file as the test file names it, resolved against the test file's folder. */
  readonly policyFile: string;
  /** Decoded frame records, by case index. */
  readonly frames: ReadonlyMap<number, TelemetryRecord>;
  /** Line of each case, by case index. */
  readonly caseLines: readonly (number | undefined)[];
}

export interface TestFileLoad {
  readonly file: string;
  readonly loaded: LoadedTestFile | null;
  readonly diagnostics: readonly Diagnostic[];
}

let testSchemaJson: object | undefined;

export async function loadTestFile(file: string): Promise<TestFileLoad> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const message = `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    return { file, loaded: null, diagnostics: [{ code: 'test-file-unreadable', severity: 'error', message, path: [], file }] };
  }
  const source = sourceFromText({ file, text, format: 'yaml' });
  if (hasErrors(source.diagnostics)) return { file, loaded: null, diagnostics: source.diagnostics };
  const parsed = policyTestSchema.safeParse(source.value, { reportInput: true, error: issueMessage });
  if (!parsed.success) {
    testSchemaJson ??= buildPolicyTestJsonSchema();
    return { file, loaded: null, diagnostics: placeDiagnostics(source, issuesToDiagnostics(parsed.error.issues, source.value, testSchemaJson)) };
  }
  const test = parsed.data;
  const problems: Diagnostic[] = [];
  const at = (keyPath: readonly (string | number)[]): Partial<Position> => source.locate(keyPath) ?? {};
  const problem = (code: Diagnostic['code'], message: string, keyPath: readonly (string | number)[], hint?: string): void => {
    problems.push({ code, severity: 'error', message, path: keyPath, file, ...at(keyPath), ...(hint === undefined ? {} : { hint }) });
  };

  const policyFile = besideFile(file, test.policy);
  const checked = await checkPolicyFile({ file: policyFile });
  if (!checked.policy) {
    if (checked.unreadable) problem('test-policy-unreadable', `cannot read the policy ${policyFile}: ${checked.diagnostics.map((d) => d.message).join('; ')}`, ['policy']);
    else {
      problem('test-policy-invalid', `the policy ${policyFile} has errors (listed with it)`, ['policy'], `run: telem validate ${policyFile}`);
      problems.push(...checked.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'));
    }
    return { file, loaded: null, diagnostics: problems };
  }
  const policy = checked.policy;

  const frames = new Map<number, TelemetryRecord>();
  const limits: FrameLimits = { ...DEFAULT_FRAME_LIMITS, maxPayload: policy.intake.max_payload };
  for (const [index, testCase] of test.tests.entries()) {
    checkWireExpectations(testCase.expect, policy, ['tests', index, 'expect'], problem);
    for (const [keyPath, input] of recordInputs(testCase)) {
      const refusal = intakeRefusal(inputRecord(input, test.headers), limits);
      if (refusal) problem('test-record-invalid', `a probe could not send this record, or the intake would refuse it: ${refusal}`, ['tests', index, ...keyPath]);
    }
    if (testCase.frame === undefined) continue;
    const frameFile = besideFile(file, testCase.frame);
    let bytes: Buffer;
    try {
      bytes = await readFile(frameFile);
    } catch (error) {
      problem('test-frame-unreadable', `cannot read the frame ${frameFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, ['tests', index, 'frame']);
      continue;
    }
    const decoded = decodeFrame(bytes, limits);
    if (decoded.ok) frames.set(index, decoded.record);
    else problem('test-frame-invalid', `the intake would refuse the frame ${frameFile} (${decoded.reason}: ${decoded.detail})`, ['tests', index, 'frame']);
  }
  if (problems.length > 0) return { file, loaded: null, diagnostics: problems };
  const caseLines = test.tests.map((_, index) => source.locate(['tests', index])?.line);
  return { file, loaded: { file, test, policy, policyFile, frames, caseLines }, diagnostics: [] };
}

type TestCaseInput = PolicyTestFile['tests'][number];

/** The record inputs of a case with their key paths (a series once: its records differ only in time and event id). */
function recordInputs(testCase: TestCaseInput): [readonly (string | number)[], TestRecordInput][] {
  if (testCase.record) return [[['record'], testCase.record]];
  if (Array.isArray(testCase.records)) return testCase.records.map((input, position) => [['records', position], input]);
  return testCase.records ? [[['records'], testCase.records]] : [];
}

/**
 * Why the record could not reach the agent, or null: it goes through the frame a probe would write
 * and the intake's own decoding, so a test cannot expect an outcome for a record the agent never sees.
 */
function intakeRefusal(record: TelemetryRecord, limits: FrameLimits): string | null {
  let frame: Buffer;
  try {
    frame = encodeFrame(record);
  } catch (error) {
    if (error instanceof RecordError) return error.message;
    throw error;
  }
  const decoded = decodeFrame(frame, limits);
  return decoded.ok ? null : `${decoded.reason}: ${decoded.detail}`;
}

/** Paths in a test file are relative to the file's folder. */
function besideFile(file: string, target: string): string {
  return path.isAbsolute(target) ? target : path.join(path.dirname(file), target);
}

type Expectations = PolicyTestFile['tests'][number]['expect'];

/** A body or headers expectation must name a destination that sends that form: otherwise the test itself is wrong. */
function checkWireExpectations(
  expect: Expectations,
  policy: ResolvedPolicy,
  base: readonly (string | number)[],
  problem: (code: Diagnostic['code'], message: string, keyPath: readonly (string | number)[], hint?: string) => void,
): void {
  const known = Object.keys(policy.destinations).join(', ');
  for (const [scope, record] of [
    [[], expect],
    [['first'], expect.first],
    [['last'], expect.last],
  ] as const) {
    for (const name of Object.keys(record?.body ?? {})) {
      const destination = policy.destinations[name];
      const keyPath = [...base, ...scope, 'body', name];
      if (!destination) problem('test-unknown-destination', `the policy has no destination "${name}"`, keyPath, `its destinations: ${known}`);
      else if (!(destination.type === 'file' || (destination.type === 'http' && destination.protocol !== 'v2')))
        problem('test-no-body', `destination "${name}" (${destination.type === 'http' ? `http ${destination.protocol}` : destination.type}) sends no v3 JSON body`, keyPath);
    }
    for (const name of Object.keys(record?.headers ?? {})) {
      const destination = policy.destinations[name];
      const keyPath = [...base, ...scope, 'headers', name];
      if (!destination) problem('test-unknown-destination', `the policy has no destination "${name}"`, keyPath, `its destinations: ${known}`);
      else if (!(destination.type === 'http' && destination.protocol === 'v2')) problem('test-no-v2-headers', `destination "${name}" is not http v2, so it sends no record headers`, keyPath);
    }
  }
}
