/** `telem test [PATH...]`: run the policy unit tests in *.policy-test.yaml files. */
import { Command, Option } from 'commander';
import { formatTestRunText } from '../../engine/policy-test/format-text.js';
import { runPolicyTests, testExitStatus } from '../../engine/policy-test/run-tests.js';

export function testCommand(): Command {
  return new Command('test')
    .summary('run the policy unit tests in *.policy-test.yaml files')
    .description(
      'Run policy unit tests: each *.policy-test.yaml file names a policy (relative to the file) and lists cases, each a ' +
        'record, a series of records or a raw libtelemetry frame file, with what should become of them: the routes and ' +
        'destinations they take, their outcome (delivered, deferred, dropped:<reason>, rejected:<reason>), the payload after ' +
        'redaction, the exact v3 JSON body or v2 headers per destination, and counts of outcomes. Records go through the ' +
        "agent's own compiled router, rate limits and spool expiry on a virtual clock; nothing is sent. Each PATH is a test " +
        'file or a folder searched recursively (default: the current directory). The format is schemas/policy-test.schema.json.\n\n' +
        'Exit status: 0 every case passed, 1 a case failed (a diff of each failed expectation is printed), 2 a test file is ' +
        'broken (schema errors, an unreadable or invalid policy, a bad frame file, …, printed as file:line diagnostics) or no ' +
        'test file was found.',
    )
    .argument('[paths...]', 'test files or folders holding them (default: .)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (paths: string[], options: { format: 'text' | 'json' }) => {
      const run = await runPolicyTests(paths);
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(run, null, 2)}\n` : formatTestRunText(run));
      process.exitCode = testExitStatus(run);
    });
}
