/** `telem test`: finds the test files, loads each with its policy, runs every case and checks it. */
import type { TestCase } from '../../schemas/policy-test.js';
import { checkCase } from './compare.js';
import { findTestFiles } from './find-test-files.js';
import { type LoadedTestFile, loadTestFile } from './load-test-file.js';
import { type CaseResult, type FileResult, type TestRun, summarize } from './result.js';
import { runRecords } from './run-case.js';
import { type TimedRecord, caseRecords, frameRecord } from './test-records.js';

function runCase(loaded: LoadedTestFile, testCase: TestCase, index: number): CaseResult {
  const frame = loaded.frames.get(index);
  const records: TimedRecord[] = frame ? [frameRecord(frame, loaded.test.headers)] : caseRecords(testCase, loaded.test.headers);
  const failures = checkCase(testCase.expect, runRecords(loaded.policy, records), loaded.policy);
  return { name: testCase.name, line: loaded.caseLines[index] ?? null, passed: failures.length === 0, records: records.length, failures };
}

export async function runTestFile(file: string): Promise<FileResult> {
  const { loaded, diagnostics } = await loadTestFile(file);
  if (!loaded) return { file, policy: null, diagnostics, cases: [] };
  const { name, revision } = loaded.policy.metadata;
  return {
    file,
    policy: { file: loaded.policyFile, name, revision },
    diagnostics: [],
    cases: loaded.test.tests.map((testCase, index) => runCase(loaded, testCase, index)),
  };
}

/** In the order the paths were given; a path without tests is reported as a broken file of its own, so it counts against the run. */
export async function runPolicyTests(paths: readonly string[]): Promise<TestRun> {
  const files: FileResult[] = [];
  const seen = new Set<string>();
  for (const given of paths.length === 0 ? ['.'] : paths) {
    const found = await findTestFiles([given]);
    for (const diagnostic of found.diagnostics) files.push({ file: diagnostic.file ?? given, policy: null, diagnostics: [diagnostic], cases: [] });
    for (const file of found.files.filter((name) => !seen.has(name))) {
      seen.add(file);
      files.push(await runTestFile(file));
    }
  }
  return { format_version: 1, files, summary: summarize(files) };
}

/** 0 every case passed, 1 a case failed, 2 a test file is broken (or none was found). */
export function testExitStatus(run: TestRun): 0 | 1 | 2 {
  if (run.summary.broken > 0 || run.summary.files === 0) return 2;
  return run.summary.failed > 0 ? 1 : 0;
}
