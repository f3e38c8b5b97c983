/** `telem validate [FILE]`: check a policy and print its diagnostics. */
import { Command, Option } from 'commander';
import { formatJson } from '../../engine/diagnostics/format-json.js';
import { formatText } from '../../engine/diagnostics/format-text.js';
import { hasErrors } from '../../engine/diagnostics/diagnostic.js';
import { checkPolicyFile } from '../../engine/validate/check-file.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';

export function validateCommand(): Command {
  return new Command('validate')
    .summary('check a policy file and report problems')
    .description(
      'Check a policy: schema (types, units, unknown keys) and semantics (unknown destinations, unreachable routes, ' +
        'rate windows, redaction patterns, …). Without FILE, the current directory is searched for telem.policy.{yaml,yml,json,js,mjs,ts}, ' +
        '.telemrc* or a "telem" key in package.json. A legacy telemetrics.conf is accepted too and checked as the policy it translates to.\n\nExit status: 0 valid (warnings may be printed), 1 the policy has errors, 2 usage error or unreadable file.',
    )
    .argument('[file]', 'policy file (or telemetrics.conf) to check')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (file: string | undefined, options: { format: 'text' | 'json' }) => {
      const checked = await checkPolicyFile(file === undefined ? {} : { file });
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
