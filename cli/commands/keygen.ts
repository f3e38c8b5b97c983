/** `telem keygen`: a new Ed25519 key pair for signing policy bundles. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { generateKeyPair } from '../../engine/fleet/keys.js';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .summary('make an Ed25519 key pair for signing policy bundles')
    .description(
      'Write NAME.key (the private key, PKCS#8 PEM, mode 0600: keep it offline, where bundles are built) and NAME.pub ' +
        '(the public key) to DIR, and print the public key as "ed25519:<base64>", the form fleet.trusted_keys and ' +
        'telem bundle verify --trusted-key take. Existing files are never overwritten.\n\nExit status: 0 written, 2 usage error or a file that cannot be written.',
    )
    .requiredOption('--out <dir>', 'directory the two files are written to (created if missing)')
    .option('--name <name>', 'base name of the files', 'bundle')
    .action((options: { out: string; name: string }) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(options.name)) {
        process.stderr.write(`telem keygen: --name ${JSON.stringify(options.name)} must use letters, digits, ".", "_" and "-"\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const keyFile = path.join(options.out, `${options.name}.key`);
      const pubFile = path.join(options.out, `${options.name}.pub`);
      const existing = [keyFile, pubFile].filter((file) => existsSync(file));
      if (existing.length > 0) {
        process.stderr.write(`telem keygen: ${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; a key is never overwritten (choose another --name or --out)\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const pair = generateKeyPair();
      try {
        mkdirSync(options.out, { recursive: true });
        // "wx": never replace a key; the mode applies at creation, before any byte is written.
        writeFileSync(keyFile, pair.privatePem, { mode: 0o600, flag: 'wx' });
        writeFileSync(pubFile, `${pair.publicKey}\n`, { mode: 0o644, flag: 'wx' });
      } catch (error) {
        process.stderr.write(`telem keygen: ${(error as Error).message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      process.stdout.write(`${pair.publicKey}\n`);
      process.stderr.write(`telem keygen: wrote ${keyFile} (private: keep it offline) and ${pubFile}\n`);
      process.exitCode = EXIT_OK;
    });
}
