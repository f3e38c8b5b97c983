import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { createDestinationClient } from '../../engine/deliver/create-client.js';
import type { DestinationClient } from '../../engine/deliver/destination.js';
import { startHttpSink } from '../helpers/http-sink.js';
import { tempDir } from '../helpers/tmp.js';
import { resolvedDestination, sampleRecord } from './fixtures.js';
import { skipOrFail } from '../helpers/skip.js';

interface Certificate {
  readonly root: string;
  /** The CA file as a policy names it: an absolute system path, read under the root. */
  readonly caFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A self-signed certificate for 127.0.0.1, made with openssl at test time; null when openssl is missing. */
async function selfSigned(t: TestContext): Promise<Certificate | null> {
  const root = await tempDir(t);
  const dir = path.join(root, 'etc', 'telemetrics');
  await mkdir(dir, { recursive: true });
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'ca.pem');
  try {
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { root, caFile: '/etc/telemetrics/ca.pem', key: await readFile(keyFile), cert: await readFile(certFile) };
}

function client(t: TestContext, spec: Record<string, unknown>, root: string): DestinationClient {
  const created = createDestinationClient(resolvedDestination({ type: 'http', ...spec }), { root });
  t.after(() => created.close());
  return created;
}

test('https: a collector with a self-signed certificate is trusted through ca_file (read under the root)', async (t) => {
  const certificate = await selfSigned(t);
  if (!certificate) return skipOrFail(t, 'openssl is not installed: cannot make a test certificate');
  const sink = await startHttpSink(t, { tls: { key: certificate.key, cert: certificate.cert } });
  const https = client(t, { url: sink.url(), ca_file: certificate.caFile }, certificate.root);
  for (let index = 0; index < 3; index += 1) assert.deepEqual(await https.deliver(sampleRecord()), { outcome: 'delivered', status: 201 });
  assert.equal(sink.requests.length, 3);
  assert.equal(sink.connections(), 1, 'TLS connections are kept alive too');
});

test('https: without the CA file the certificate is refused and the record waits (retry)', async (t) => {
  const certificate = await selfSigned(t);
  if (!certificate) return skipOrFail(t, 'openssl is not installed: cannot make a test certificate');
  const sink = await startHttpSink(t, { tls: { key: certificate.key, cert: certificate.cert } });
  const https = client(t, { url: sink.url() }, certificate.root);
  const result = await https.deliver(sampleRecord());
  assert.equal(result.outcome, 'retry');
  assert.match(result.outcome === 'retry' ? result.reason : '', /^tls_depth_zero_self_signed_cert$/);
  assert.equal(sink.requests.length, 0);
});

test('https: a missing ca_file is a retry naming it, never a silent fall back to the system store', async (t) => {
  const root = await tempDir(t);
  const https = client(t, { url: 'https://127.0.0.1:9/v3/collector', ca_file: '/etc/telemetrics/missing.pem' }, root);
  assert.deepEqual(await https.deliver(sampleRecord()), { outcome: 'retry', reason: 'ca_file_enoent' });
});

test('https: a server that accepts but never completes the TLS handshake is a retry after connect_timeout', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as net.AddressInfo;
  const https = client(t, { url: `https://127.0.0.1:${port}/v3/collector`, connect_timeout: '150ms', timeout: '5s' }, '/');
  const started = Date.now();
  assert.deepEqual(await https.deliver(sampleRecord()), { outcome: 'retry', reason: 'connect_timeout' });
  assert.ok(Date.now() - started < 2_000);
});
