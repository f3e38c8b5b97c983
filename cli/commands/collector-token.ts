/** `telem collector token create|list|revoke`: the API tokens of a collector's database (engine/collector/auth/token-admin.ts). */
import { Command, Option } from 'commander';
import { createApiToken, formatTokenTable, listApiTokens, revokeApiToken } from '../../engine/collector/auth/token-admin.js';
import { loadCollectorSettings } from '../../engine/collector/load-settings.js';
import type { TokenRole } from '../../engine/collector/storage/auth-store.js';
import { EXIT_OK } from '../exit-codes.js';
import { reportError } from '../report-error.js';
import { rootOf } from '../root-option.js';

/** --policy and --db are `telem collector`'s own options, read from the parent command. */
interface DatabaseOptions {
  policy?: string;
  db?: string;
}

const DATABASE_NOTE =
  "The database is the collector's: the one of --policy FILE's collector section or --db DATABASE (given to telem collector, before or after " +
  '"token"), under --root; it may be in use by a running collector.';

async function run(command: Command, program: string, work: (options: { settings: Awaited<ReturnType<typeof loadCollectorSettings>>; root: string }) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals<DatabaseOptions>();
  try {
    const settings = await loadCollectorSettings({ policy: options.policy, database: options.db });
    await work({ settings, root: rootOf(command) });
    process.exitCode = EXIT_OK;
  } catch (error) {
    process.exitCode = reportError(program, error, (failure) => (failure.code === 'system' ? 'cannot open the database: ' : ''));
  }
}

function createSubcommand(): Command {
  return new Command('create')
    .summary('create an API token and print it once')
    .description(
      'Create an API token for the web UI and the query API: role read browses and exports, role admin also halts and resumes ' +
        'rollouts. Prints the token (telem_ and 43 characters) on stdout, this once: the collector keeps only its SHA-256 ' +
        'digest. Clients send it as "Authorization: Bearer <token>"; a browser pastes it at /login. ' +
        `${DATABASE_NOTE}\n\nExit status: 0 created, 1 an active token has the name already, 2 usage error or the database cannot be opened.`,
    )
    .requiredOption('--name <name>', 'who or what holds it (letters, digits, ".", "_", "@", "-"); unique among active tokens')
    .addOption(new Option('--role <role>', 'read: browse and export; admin: also admin actions').choices(['read', 'admin']).makeOptionMandatory())
    .action(async (options: { name: string; role: TokenRole }, command: Command) => {
      await run(command, 'telem collector token create', async ({ settings, root }) => {
        const { token, created } = await createApiToken({ settings, root, name: options.name, role: options.role });
        process.stdout.write(`${token}\n`);
        process.stderr.write(`telem collector token create: token "${created.name}" (role ${created.role}) created; it is shown only this once, the collector keeps only its digest\n`);
      });
    });
}

function listSubcommand(): Command {
  return new Command('list')
    .summary('list the API tokens: name, role, created, last used, revoked')
    .description(
      `List every API token, revoked ones too, oldest first (times in UTC; last used is written at most once a minute). ${DATABASE_NOTE}\n\n` +
        'Exit status: 0 listed, 2 usage error or the database cannot be opened.',
    )
    .action(async (_options: unknown, command: Command) => {
      await run(command, 'telem collector token list', async ({ settings, root }) => {
        const tokens = await listApiTokens({ settings, root });
        if (tokens.length === 0) process.stderr.write('telem collector token list: no API tokens yet; create one with telem collector token create --name NAME --role admin\n');
        else process.stdout.write(formatTokenTable(tokens));
      });
    });
}

function revokeSubcommand(): Command {
  return new Command('revoke')
    .summary('revoke an API token: it and its browser sessions stop working at once')
    .description(
      `Revoke the active API token NAME: requests with it get 401 from now on and its browser sessions end. ${DATABASE_NOTE}\n\nExit status: 0 revoked, 3 no active token has the name, 2 usage error or the database cannot be opened.`,
    )
    .argument('<name>', 'the token name')
    .action(async (name: string, _options: unknown, command: Command) => {
      await run(command, 'telem collector token revoke', async ({ settings, root }) => {
        const revoked = await revokeApiToken({ settings, root, name });
        process.stdout.write(`token "${revoked.name}" (role ${revoked.role}) revoked; its sessions are ended\n`);
      });
    });
}

export function tokenCommand(): Command {
  return new Command('token')
    .summary('create, list and revoke the API tokens that log in to the web UI and query API')
    .description(`Manage the API tokens of the collector's database (collector.auth: tokens). ${DATABASE_NOTE}`)
    .addCommand(createSubcommand().exitOverride().showHelpAfterError('(run "telem collector token create --help" for usage)'))
    .addCommand(listSubcommand().exitOverride().showHelpAfterError('(run "telem collector token list --help" for usage)'))
    .addCommand(revokeSubcommand().exitOverride().showHelpAfterError('(run "telem collector token revoke --help" for usage)'));
}
