/** A running collector: store, HTTP server and retention schedule, started and stopped together. */
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from '../log/logger.js';
import { createCollectorServer } from './http/server.js';
import { type PurgeSchedule, schedulePurge } from './retention/purge-schedule.js';
import { type CollectorSettings, parseListen, purgePlan } from './settings.js';
import { openStore } from './storage/open-store.js';
import type { RecordStore } from './storage/store.js';

export interface StartCollectorOptions {
  readonly settings: CollectorSettings;
  /** Root for SQLite paths (engine/paths/root.ts). */
  readonly root?: string;
  /** PostgreSQL schema to use instead of the default search path. */
  readonly schema?: string;
  readonly logger?: Logger;
}

export interface RunningCollector {
  /** Base URL, such as http://127.0.0.1:8080/ (the real port when 0 was asked). */
  readonly url: string;
  readonly store: RecordStore;
  /** The database, without credentials. */
  readonly database: string;
  readonly retention: PurgeSchedule;
  /** Stops accepting, waits for accepted records to be written, closes the store. */
  close(): Promise<void>;
}

export class ListenSettingError extends Error {}

export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  const logger = options.logger ?? silentLogger;
  const listen = parseListen(options.settings.listen);
  if (!listen) throw new ListenSettingError(`cannot listen on "${options.settings.listen}": expected HOST:PORT such as 127.0.0.1:8080`);
  const opened = await openStore({
    database: options.settings.database,
    queryTimeoutMs: options.settings.query_timeout,
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  const { store } = opened;
  const { server, drain } = createCollectorServer({ store, writers: opened.writers, settings: options.settings, logger });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const retention = schedulePurge({
    store,
    plan: purgePlan(options.settings.retention),
    intervalMs: options.settings.retention.interval,
    logger,
  });
  return {
    url: `http://${host}:${address.port}/`,
    store,
    database: opened.description,
    retention,
    async close() {
      // Every answer from now on closes its connection: a client that keeps a keep-alive
      // connection busy (an agent draining its spool) would otherwise keep the server open forever.
      server.prependListener('request', (_request, response) => response.setHeader('Connection', 'close'));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await drain();
      await retention.stop();
      await store.close();
    },
  };
}
