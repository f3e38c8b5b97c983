/** One DestinationClient per destination of the resolved policy, chosen by its type. */
import type { ResolvedDestination } from '../../schemas/resolved.js';
import type { Logger } from '../log/logger.js';
import type { DestinationClient } from './destination.js';
import { createFileClient } from './file-client.js';
import { createHttpClient } from './http-client.js';
import { createLocalClient } from './local-client.js';

export interface DestinationClientOptions {
  /** Root every absolute path (ca_file, file path) resolves under. */
  readonly root: string;
  readonly logger?: Logger | undefined;
}

export function createDestinationClient(config: ResolvedDestination, options: DestinationClientOptions): DestinationClient {
  switch (config.type) {
    case 'http':
      return createHttpClient(config, options);
    case 'file':
      return createFileClient(config, options);
    case 'local':
      return createLocalClient(config);
  }
}
