/**
 * The fleet client's polling against a real HTTP file server: jitter between poll_interval and
 * twice it, Retry-After honoured, If-None-Match sent, the download size bounded.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import type { ResolvedPolicy } from '../../schemas/resolved.js';
import { FleetClient, type FleetStatus } from '../../engine/fleet-agent/client.js';
import { fetchBundle } from '../../engine/fleet-agent/source.js';
import { buildBundle } from '../../engine/fleet/bundle.js';
import { generateKeyPair, parsePrivateKey } from '../../engine/fleet/keys.js';
import { checkPolicyFile } from '../../engine/load/check-file.js';
import { silentLogger } from '../../engine/log/logger.js';
import { startBundleServer } from '../helpers/bundle-server.js';
import { writePolicy } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/tmp.js';

const pair = generateKeyPair();

async function resolved(dir: string, name: string, yaml: string): Promise<ResolvedPolicy> {
  const checked = await checkPolicyFile({ file: await writePolicy(dir, yaml, `${name}.yaml`) });
  assert.ok(checked.policy, JSON.stringify(checked.diagnostics));
  return checked.policy;
}

const yaml = (name: string, fleet: string) => `apiVersion: telem/v1
kind: Policy
metadata: { name: ${name} }
consent: { require_opt_in: false }
fleet: { ${fleet} }
destinations: { out: { type: file, path: /var/log/telemetry/out.ndjson } }
routes: [{ name: all, to: [out] }]
`;

function client(root: string, local: ResolvedPolicy, random: number, applied: ResolvedPolicy[] = [], changes: FleetStatus[] = []): FleetClient {
  return new FleetClient({
    root,
    logger: silentLogger,
    random: () => random,
    host: {
      local: () => local,
      apply: (policy) => void applied.push(policy),
      healthy: () => true,
      counters: () => ({ delivered: 0, failed: 0, dropped: {}, spoolBytes: 0 }),
      listening: () => true,
      onChange: (status) => void changes.push(status),
    },
  });
}

test('fleet client: waits between poll_interval and twice it (jitter), sends If-None-Match, and applies a verified bundle once', async (t) => {
  const root = await tempDir(t);
  const server = await startBundleServer(t);
  const bundle = buildBundle({
    policy: await resolved(root, 'b', yaml('fleet-x', '')),
    sources: new Map(),
    keys: [parsePrivateKey(pair.privatePem, 'k')],
    channel: 'stable',
    sequence: 1,
    expiresMs: 3_600_000,
  });
  await writeFile(path.join(root, 'b.bundle'), bundle);
  await server.publish(path.join(root, 'b.bundle'));
  const local = await resolved(root, 'local', yaml('local', `source: "${server.url}", trusted_keys: ["${pair.publicKey}"], poll_interval: 150ms`));
  const applied: ResolvedPolicy[] = [];
  const changes: FleetStatus[] = [];
  // random → 0.99: every wait is just under twice poll_interval.
  const fleet = client(root, local, 0.99, applied, changes);
  t.after(() => fleet.stop());
  fleet.start();
  await server.waitFor(() => server.log.length >= 4, 5000);
  await fleet.stop();
  const gaps = server.log.slice(1, 4).map((entry, index) => entry.at - (server.log[index] as { at: number }).at);
  assert.ok(
    gaps.every((gap) => gap >= 280 && gap < 600),
    `waits of about 297 ms: ${gaps.join(', ')}`,
  );
  assert.deepEqual(
    server.log.slice(0, 4).map((entry) => entry.status),
    [200, 304, 304, 304],
  );
  assert.equal(applied.length, 1);
  assert.equal(applied[0]?.metadata.name, 'fleet-x');
  assert.deepEqual(applied[0]?.fleet.trusted_keys, [pair.publicKey], 'the local fleet settings are put back');
  assert.deepEqual(
    changes.map((status) => status.state),
    ['downloading', 'verifying', 'applying', 'applied', 'healthy'],
  );
  assert.equal(fleet.status().active?.sequence, 1);
});

test('fleet client: a Retry-After longer than the poll interval is honoured', async (t) => {
  const root = await tempDir(t);
  const server = await startBundleServer(t);
  server.fail(503, '1');
  const local = await resolved(root, 'local', yaml('local', `source: "${server.url}", trusted_keys: ["${pair.publicKey}"], poll_interval: 100ms`));
  const fleet = client(root, local, 0);
  t.after(() => fleet.stop());
  fleet.start();
  await server.waitFor(() => server.log.length >= 2, 5000);
  await fleet.stop();
  const gap = (server.log[1]?.at ?? 0) - (server.log[0]?.at ?? 0);
  assert.ok(gap >= 950, `the second request came ${gap} ms after the first, not after Retry-After: 1`);
  assert.equal(fleet.status().lastError?.code, 'bundle-fetch');
  assert.match(fleet.status().lastError?.message ?? '', /HTTP 503/);
  assert.equal(fleet.status().state, null, 'a failed fetch changes no state');
});

test('fetchBundle: a body larger than the limit is refused, with or without Content-Length; a local file likewise', async (t) => {
  const root = await tempDir(t);
  const server = await startBundleServer(t);
  const big = path.join(root, 'big.bundle');
  await writeFile(big, Buffer.alloc(5000, 0x20));
  await server.publish(big);
  await assert.rejects(
    fetchBundle(server.url, { etag: null, maxBytes: 4096 }),
    (error: Error & { code?: string }) => error.code === 'bundle-fetch' && /more than the 4096/.test(error.message),
  );
  await assert.rejects(fetchBundle(big, { etag: null, maxBytes: 4096 }), /more than the 4096/);
  // Chunked, without Content-Length: counted as it comes.
  const chunked = http.createServer((_request, response) => {
    response.writeHead(200, { etag: '"x"' });
    for (let index = 0; index < 5; index += 1) response.write(Buffer.alloc(1000, 0x20));
    response.end();
  });
  await new Promise<void>((resolve) => chunked.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => chunked.close(() => resolve())));
  const chunkedUrl = `http://127.0.0.1:${(chunked.address() as AddressInfo).port}/b`;
  await assert.rejects(fetchBundle(chunkedUrl, { etag: null, maxBytes: 4096 }), /more than the 4096 bytes/);
  const ok = await fetchBundle(server.url, { etag: null, maxBytes: 8192 });
  assert.equal(ok.kind, 'fetched');
  assert.equal(ok.kind === 'fetched' ? ok.bytes.length : 0, 5000);
  const again = await fetchBundle(server.url, { etag: ok.kind === 'fetched' ? ok.etag : null });
  assert.equal(again.kind, 'unchanged');
  await assert.rejects(fetchBundle(path.join(root, 'missing.bundle'), { etag: null }), /cannot read .*ENOENT/);
});
