/** A running collector: store, HTTP listeners and retention schedule, started and stopped together. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TelemError, asStartError } from '../errors/telem-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { checkExposure } from './auth/exposure.js';
import { type CollectorSettings, parseListen, purgePlan } from './config/settings.js';
import { createCollectorServers } from './http/server.js';
import { type PurgeSchedule, schedulePurge } from './retention/purge-schedule.js';
import { openStore } from './storage/open-store.js';
import type { RecordStore } from './storage/store.js';

export interface StartCollectorOptions {
  readonly settings: CollectorSettings;
  /** Root for SQLite paths (engine/paths/root.ts). */
  readonly root?: string;
  /** PostgreSQL schema to use instead of the default search path. */
  readonly schema?: string;
  readonly logger?: Logger;
  /** --insecure-no-auth: collector.auth none is allowed beyond loopback (auth/exposure.ts), with a warning. */
  readonly insecureNoAuth?: boolean;
}

export interface RunningCollector {
  /** Base URL, such as http://127.0.0.1:8080/ (the real port when 0 was asked). */
  readonly url: string;
  /** Base URL of the API listener (listen_api); the same as url when there is one listener. */
  readonly apiUrl: string;
  readonly store: RecordStore;
  /** The database, without credentials. */
  readonly database: string;
  readonly retention: PurgeSchedule;
  /** Stops accepting, waits for accepted records to be written, closes the store. */
  close(): Promise<void>;
}

interface Listen {
  /** The setting as written, for messages. */
  readonly setting: string;
  readonly host: string;
  readonly port: number;
}

function listenAddress(setting: string, name: string): Listen {
  const listen = parseListen(setting);
  if (!listen) throw new TelemError('listen-address', `cannot listen on "${setting}"${name}: expected HOST:PORT such as 127.0.0.1:8080`);
  return { setting, ...listen };
}

function listenOn(server: Server, listen: Listen): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, listen.setting));
    server.once('error', failed);
    server.listen(listen.port, listen.host, () => {
      server.off('error', failed);
      const bound = server.address() as AddressInfo;
      resolve(`http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  // Every answer from now on closes its connection: a client that keeps a keep-alive
  // connection busy (an agent draining its spool) would otherwise keep the server open forever.
  server.prependListener('request', (_request, response) => response.setHeader('Connection', 'close'));
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** A listener's failure, naming the address as it was given. */
function listenError(error: NodeJS.ErrnoException, setting: string): unknown {
  if (error.code === 'EADDRINUSE') return new TelemError('address-in-use', `cannot listen on ${setting}: the address is in use`, { cause: error });
  if (error.code === 'EACCES') return new TelemError('address-denied', `cannot listen on ${setting}: permission denied`, { cause: error });
  return error;
}

/** Starts the collector; every failure to start is a TelemError (see errors/codes.ts), anything else a bug. */
export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  try {
    return await start(options);
  } catch (error) {
    throw asStartError(error);
  }
}

async function start(options: StartCollectorOptions): Promise<RunningCollector> {
  const logger = options.logger ?? silentLogger;
  const { settings } = options;
  const listen = listenAddress(settings.listen, '');
  const listenApi = settings.listen_api === null ? null : listenAddress(settings.listen_api, ' for the API');
  // Before the database is opened or any port: a collector that would expose every record never listens.
  const exposed = checkExposure(settings, { insecureNoAuth: options.insecureNoAuth === true });
  if (exposed !== null) logger.warn({ auth: settings.auth }, exposed);
  const opened = await openStore({
    database: settings.database,
    queryTimeoutMs: settings.query_timeout,
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  const { store } = opened;
  // A new database gets every migration, with nothing to say; an existing one is told what changed in it.
  const created = store.migrations.some((migration) => migration.version === 1);
  for (const migration of store.migrations) {
    const fields = { version: migration.version, ms: migration.ms, ...(migration.note === undefined ? {} : { note: migration.note }) };
    if (created) logger.debug(fields, `database created: ${migration.name}`);
    else logger.info(fields, `database migrated: ${migration.name}`);
  }
  try {
    if (settings.auth === 'tokens' && settings.admin_tokens.length === 0 && (await store.auth.countActive()) === 0) {
      logger.warn(
        { database: opened.description },
        'no API token yet: the web UI and /api/* answer 401 until one is created with "telem collector token create --name NAME --role admin" (given this collector\'s --policy or --db)',
      );
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  const { main, api, drain } = createCollectorServers({ store, writers: opened.writers, settings, logger });
  let url: string;
  let apiUrl: string;
  try {
    url = await listenOn(main, listen);
    apiUrl = api && listenApi ? await listenOn(api, listenApi) : url;
  } catch (error) {
    if (main.listening) await closeServer(main);
    await store.close();
    throw error;
  }
  const retention = schedulePurge({
    store,
    plan: purgePlan(settings.retention),
    intervalMs: settings.retention.interval,
    logger,
  });
  return {
    url,
    apiUrl,
    store,
    database: opened.description,
    retention,
    async close() {
      await Promise.all([main, ...(api ? [api] : [])].map(closeServer));
      await drain();
      await retention.stop();
      await store.close();
    },
  };
}
