/** `telem validate [FILE]`: check a policy and print its diagnostics. */
import { Command, Option } from 'commander';
import { formatJson } from '../../engine/diagnostics/format-json.js';
import { formatText } from '../../engine/diagnostics/format-text.js';
import { hasErrors } from '../../engine/diagnostics/diagnostic.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { checkEnvironment } from '../../engine/validate/environment.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { rootOf } from '../root-option.js';

export function validateCommand(): Command {
  return new Command('validate')
    .summary('check a policy file and report problems')
    .description(
      'Check a policy: schema (types, units, unknown keys), semantics (unknown destinations, unreachable routes, ' +
        'rate windows, redaction patterns, …) and the compile step the agent runs at start, so "valid" means the agent would start with it. ' +
        'With --environment, also whether this machine can run it (the directories the agent writes, CA files, destination hosts), as warnings. Without FILE, the current directory is searched for telem.policy.{yaml,yml,json,js,mjs,ts}, ' +
        '.telemrc* or a "telem" key in package.json. A legacy telemetrics.conf is accepted too and checked as the policy it translates to.\n\nExit status: 0 valid (warnings may be printed), 1 the policy has errors, 2 usage error or unreadable file.',
    )
    .argument('[file]', 'policy file (or telemetrics.conf) to check')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--environment', 'also check this machine (under --root): directories the agent writes, CA files, destination hosts; reported as warnings')
    .action(async (file: string | undefined, options: { format: 'text' | 'json'; environment?: boolean }, command: Command) => {
      const found = await checkPolicyFile(file === undefined ? {} : { file });
      const machine = options.environment && found.policy ? await checkEnvironment(found.policy, { root: rootOf(command) }) : [];
      const checked = { ...found, diagnostics: [...found.diagnostics, ...machine.map((d) => ({ ...d, ...(found.file === null ? {} : { file: found.file }) }))] };
      if (options.format === 'json') {
        process.stdout.write(formatJson(checked.file, checked.diagnostics));
      } else if (checked.unreadable) {
        process.stderr.write(`telem validate: ${checked.diagnostics.map((d) => `${d.file ? `${d.file}: ` : ''}${d.message}${d.hint ? `\n  hint: ${d.hint}` : ''}`).join('\n')}\n`);
      } else {
        process.stdout.write(formatText(checked.diagnostics));
        if (checked.policy) {
          const { name, revision } = checked.policy.metadata;
          process.stdout.write(`${checked.file}: valid (policy "${name}", revision ${revision})\n`);
        }
      }
      process.exitCode = checked.unreadable ? EXIT_USAGE : hasErrors(checked.diagnostics) ? EXIT_INVALID : EXIT_OK;
    });
}
