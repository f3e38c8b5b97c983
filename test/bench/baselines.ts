/** Raw limits of this machine, measured in the same run as the figures they are compared with. */
import { fork } from 'node:child_process';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LoadResult } from './load.js';

const serversDir = new URL('./servers/', import.meta.url);

/** Starts a benchmark server in its own process (so it does not share a CPU with the load) and waits for its first message. */
export async function startServer<T>(script: string, args: string[] = []): Promise<{ ready: T; stop(): void }> {
  const child = fork(new URL(script, serversDir), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<T>((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { ready, stop: () => child.kill() };
}

/** `load` sends to the socket path it is given (the same generator the agent is measured with). */
export async function bareSocketReader(options: { dir: string; load: (socketPath: string) => Promise<LoadResult> }): Promise<LoadResult> {
  const socketPath = path.join(options.dir, `bare-${process.hrtime.bigint()}.sock`);
  const server = await startServer('bare-socket-reader.js', [socketPath]);
  try {
    return await options.load(socketPath);
  } finally {
    server.stop();
  }
}

/** `load` posts to the URL it is given (the same generator the collector is measured with). */
export async function bareHttpServer(options: { load: (url: string) => Promise<LoadResult> }): Promise<LoadResult> {
  const server = await startServer<{ port: number }>('bare-http-201.js');
  try {
    return await options.load(`http://127.0.0.1:${server.ready.port}/v3/collector`);
  } finally {
    server.stop();
  }
}

/** One file per record, each written, fsynced and renamed into place (what per-record durability costs). */
export async function bareFsyncLoop(options: { dir: string; record: Buffer; total: number }): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < options.total; index += 1) {
    const temp = path.join(options.dir, `r${index}.tmp`);
    const handle = await open(temp, 'w');
    await handle.write(options.record);
    await handle.sync();
    await handle.close();
    await rename(temp, path.join(options.dir, `r${index}`));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await rm(options.dir, { recursive: true, force: true });
  return { count: options.total, seconds, perSecond: options.total / seconds };
}

/** Appends with an fdatasync after each record: the best per-record durable rate without group commit. */
export async function bareAppendSyncLoop(options: { file: string; record: Buffer; total: number }): Promise<LoadResult> {
  const handle = await open(options.file, 'a');
  const started = process.hrtime.bigint();
  for (let index = 0; index < options.total; index += 1) {
    await handle.write(options.record);
    await handle.datasync();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await handle.close();
  await rm(options.file, { force: true });
  return { count: options.total, seconds, perSecond: options.total / seconds };
}
