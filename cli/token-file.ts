/** The token a command sends to a collector: the first line of --token-file, else an environment variable. */
import { readFileSync } from 'node:fs';

/** The token, or null when neither is given; a token file that cannot be read or is empty throws, with a message for the user. */
export function collectorToken(tokenFile: string | undefined, variable: 'TELEM_TOKEN' | 'TELEM_ADMIN_TOKEN'): string | null {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the token file ${tokenFile}: ${(error as Error).message}`);
    }
    const token = text.split('\n')[0]?.trim() ?? '';
    if (token === '') throw new Error(`the token file ${tokenFile} is empty`);
    return token;
  }
  const token = process.env[variable]?.trim();
  return token === undefined || token === '' ? null : token;
}
