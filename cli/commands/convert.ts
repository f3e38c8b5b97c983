/** `telem convert`: telemetrics.conf → commented policy YAML, and `--to-conf` the other way. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { type Diagnostic, hasErrors } from '../../engine/diagnostics/diagnostic.js';
import { formatText } from '../../engine/diagnostics/format-text.js';
import { translationSource } from '../../engine/legacy/conf-source.js';
import { loadTelemetricsConf } from '../../engine/legacy/search.js';
import { policyToConf } from '../../engine/legacy/to-conf.js';
import type { TranslationNote } from '../../engine/legacy/translate.js';
import { policyYaml } from '../../engine/legacy/write-policy.js';
import { loadPolicySource } from '../../engine/load/load-policy.js';
import { placeDiagnostics } from '../../engine/source/policy-source.js';
import { validatePolicySource } from '../../engine/validate/validate.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../exit-codes.js';
import { rootOf } from '../root-option.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../../schemas/policy.schema.json', import.meta.url));

interface ConvertOptions {
  readonly output?: string;
  readonly toConf?: boolean;
  readonly force?: boolean;
}

/** The schema reference as seen from where the YAML is written (the current directory for stdout). */
function schemaRefFor(output: string | undefined): string {
  const from = output === undefined ? process.cwd() : path.dirname(path.resolve(output));
  const relative = path.relative(from, SCHEMA_FILE).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

function report(diagnostics: readonly Diagnostic[]): void {
  process.stderr.write(formatText(diagnostics));
}

/** Choices the translation made that are no problem, one line each, before any diagnostics. */
function reportNotes(notes: readonly TranslationNote[]): void {
  for (const note of notes) {
    const where = note.file === undefined ? '' : `${note.file}${note.line === undefined ? '' : `:${note.line}:${note.column ?? 1}`}  `;
    process.stderr.write(`${where}note  ${note.message}  (${note.code})\n`);
  }
}

/** Writes the result to the -o file or stdout; says where it went on stderr. */
async function deliver(text: string, output: string | undefined, what: string): Promise<void> {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  await writeFile(output, text);
  process.stderr.write(`telem convert: wrote ${what} to ${output}\n`);
}

async function toPolicy(file: string | undefined, options: ConvertOptions, root: string): Promise<number> {
  const loaded = await loadTelemetricsConf({ file, root });
  if (!loaded.translation) {
    report(loaded.diagnostics);
    return EXIT_USAGE;
  }
  if (loaded.found.origin === 'compiled-defaults') {
    process.stderr.write(`telem convert: no telemetrics.conf in ${loaded.found.searched.join(' or ')}; converting upstream's compiled defaults\n`);
  }
  reportNotes(loaded.translation.notes);
  // Validation findings point at the conf lines the settings came from.
  const checked = validatePolicySource(translationSource(loaded.translation));
  report(checked.diagnostics);
  if (hasErrors(checked.diagnostics)) {
    process.stderr.write('telem convert: nothing written; fix the errors above first\n');
    return EXIT_INVALID;
  }
  await deliver(policyYaml(loaded.translation, { schemaRef: schemaRefFor(options.output) }), options.output, 'the policy');
  return EXIT_OK;
}

async function toConf(file: string | undefined, options: ConvertOptions): Promise<number> {
  if (file === undefined) {
    process.stderr.write('telem convert: --to-conf needs the policy file to convert\n');
    return EXIT_USAGE;
  }
  const loaded = await loadPolicySource({ file });
  if (!loaded.source) {
    report(loaded.diagnostics);
    return EXIT_USAGE;
  }
  const checked = validatePolicySource(loaded.source);
  if (!checked.policy) {
    report(checked.diagnostics);
    return EXIT_INVALID;
  }
  const conf = policyToConf(checked.policy, { source: file, force: options.force ?? false });
  const diagnostics = placeDiagnostics(loaded.source, conf.diagnostics);
  report(diagnostics);
  if (hasErrors(diagnostics)) {
    process.stderr.write('telem convert: nothing written; fix the errors above first\n');
    return EXIT_INVALID;
  }
  await deliver(conf.text, options.output, 'telemetrics.conf');
  return EXIT_OK;
}

export function convertCommand(): Command {
  return new Command('convert')
    .summary('convert a legacy telemetrics.conf to a policy, or a policy to telemetrics.conf')
    .description(
      'Convert a telemetrics.conf into a policy whose settings each name the key they came from. Without FILE, ' +
        "upstream's search order is used: /etc/telemetrics/telemetrics.conf, then " +
        '/usr/share/defaults/telemetrics/telemetrics.conf (under --root), then the compiled defaults.\n' +
        'With --to-conf, convert the policy FILE into a telemetrics.conf and list every setting it cannot express. ' +
        "Losing redaction, the deny or allow lists, min_severity, the first route's match or an http protocol the server URL " +
        'does not name is an error (the file would send what the policy keeps back, or what its server refuses); --force writes it anyway.\n\n' +
        'Diagnostics go to stderr. Exit status: 0 converted (warnings may be printed), 1 the input has errors ' +
        '(nothing is written), 2 usage error or unreadable file.',
    )
    .argument('[file]', 'telemetrics.conf to convert (with --to-conf: the policy)')
    .option('-o, --output <file>', 'write the result to this file instead of stdout')
    .option('--to-conf', 'convert a policy into a telemetrics.conf')
    .option('--force', 'with --to-conf: write the file even when it would send what the policy keeps back (redaction, deny, …)')
    .action(async (file: string | undefined, options: ConvertOptions, command: Command) => {
      if (options.force && !options.toConf) {
        process.stderr.write('telem convert: --force only applies with --to-conf\n');
        process.exitCode = EXIT_USAGE;
        return;
      }
      if (file !== undefined && options.output !== undefined && path.resolve(file) === path.resolve(options.output)) {
        process.stderr.write(`telem convert: -o ${options.output} would overwrite the file being converted; name another file\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const root = rootOf(command);
      process.exitCode = options.toConf ? await toConf(file, options) : await toPolicy(file, options, root);
    });
}
