/**
 * What request bodies cost the real collector process: its resident memory while many bodies
 * arrive as tiny chunks, the collector-wide budget for bodies being received (503 over it, nothing
 * else lost), and the connection cap. Clients are raw sockets, so the bytes on the wire are exact.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UPSTREAM_TID, rawHttp, rawRequest, v3Body } from '../collector-helpers.js';
import { LEVEL, startCollectorProcess } from '../collector-process.js';

const MiB = 1024 * 1024;

interface Answer {
  readonly head: string;
  readonly status: number;
}

/** The status line and headers of the first answer in bytes read so far, or null while incomplete. */
function parseHead(data: string): Answer | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = data.slice(0, end);
  return { head, status: Number(head.split(' ')[1]) };
}

/**
 * POSTs a chunked body of `chunks` one-byte chunks. The chunk framing ("1\r\nX\r\n") is built
 * into large buffers, so the client writes a few big pieces while the server still parses a
 * million chunks. Resolves with the answer once the server closes the connection.
 */
function postOneByteChunks(url: string, chunks: number, sockets: Set<net.Socket>): Promise<Answer> {
  const { port } = new URL(url);
  const perPiece = 10_000;
  const piece = Buffer.from('1\r\nX\r\n'.repeat(perPiece));
  const head = `POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nX-Telemetry-TID: ${UPSTREAM_TID}\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    sockets.add(socket);
    let received = '';
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => {
      sockets.delete(socket);
      const answer = parseHead(received);
      if (answer) resolve(answer);
      else reject(new Error(`connection closed without an answer: ${JSON.stringify(received.slice(0, 200))}`));
    });
    socket.write(head);
    let written = 0;
    const more = () => {
      while (written < chunks) {
        written += perPiece;
        if (!socket.write(piece)) return void socket.once('drain', more);
      }
      socket.write('0\r\n\r\n');
    };
    more();
  });
}

test('body memory: sixteen 1 MB bodies sent at once as a million one-byte chunks each raise the collector process RSS by less than 200 MiB', async (t) => {
  // The memory is measured, not the deadline: a slow machine parsing a million chunks per body must not meet the 30 s request timeout first.
  const collector = await startCollectorProcess(t, { collector: { timeouts: { request: '3m' } } });
  const before = collector.memory();
  const bound = before.rss + 200 * MiB;
  const sockets = new Set<net.Socket>();
  const sending = Promise.all(Array.from({ length: 16 }, () => postOneByteChunks(collector.url, 1_000_000, sockets)));

  // Watch the process while it receives: over the bound, stop at once (the old reader took the
  // process to 6 GiB with these requests) rather than wait for the peak.
  let settled = false;
  const done = sending.finally(() => {
    settled = true;
  });
  for (let tick = 0; tick < 1800 && !settled; tick += 1) {
    const { peak } = collector.memory();
    if (peak > bound) {
      for (const socket of sockets) socket.destroy();
      await done.catch(() => undefined);
      assert.fail(
        `the collector's resident memory peaked at ${Math.round(peak / MiB)} MiB, ${Math.round((peak - before.rss) / MiB)} MiB over the ${Math.round(before.rss / MiB)} MiB before`,
      );
    }
    await Promise.race([done.catch(() => undefined), sleep(100)]);
  }
  assert.ok(settled, 'the sixteen bodies were sent within three minutes');
  const answers = await sending;
  // Each body was read to its end and judged (a million X is not a v3 JSON record), none refused for size or memory.
  assert.deepEqual(
    answers.map((answer) => answer.status),
    Array<number>(16).fill(400),
  );
  const after = collector.memory();
  assert.ok(after.peak - before.rss < 200 * MiB, `peak ${Math.round(after.peak / MiB)} MiB, ${Math.round(before.rss / MiB)} MiB before`);
});

/** Opens a request that declares a body and waits until the collector has taken it in (100 Continue), without sending the body. */
async function heldUpload(url: string, body: Buffer): Promise<{ finish(): Promise<Answer>; socket: net.Socket }> {
  const { port } = new URL(url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  let received = '';
  const continued = new Promise<void>((resolve, reject) => {
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (received.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) resolve();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed before 100 Continue: ${received}`)));
  });
  socket.write(
    `POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Telemetry-TID: ${UPSTREAM_TID}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  // Node calls the handler, which takes the declared length from the budget, as it writes 100 Continue.
  await continued;
  return {
    socket,
    finish: () =>
      new Promise((resolve, reject) => {
        socket.once('close', () => {
          const answer = parseHead(received.slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
          if (answer) resolve(answer);
          else reject(new Error(`no answer: ${received}`));
        });
        socket.end(body);
      }),
  };
}

/** A valid v3 record padded with trailing spaces (still valid JSON) to exactly `size` bytes. */
function paddedRecord(payload: string, size: number): Buffer {
  const json = JSON.stringify(v3Body({}, payload));
  return Buffer.from(json.padEnd(size, ' '));
}

test('body memory: a request that would take the bodies being received over max_body_memory gets 503 with Retry-After and a closed connection; the others are stored; one counted warning', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { max_body: '64KiB', max_body_memory: '100KiB' } });
  const size = 40 * 1024;
  // Two uploads hold 80 KiB of the 100 KiB.
  const first = await heldUpload(collector.url, paddedRecord('first\n', size));
  const second = await heldUpload(collector.url, paddedRecord('second\n', size));

  const refused = await rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: paddedRecord('third\n', size) }));
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '2');
  assert.equal(refused.headers.connection, 'close');
  assert.deepEqual(refused.json(), { message: 'the collector is receiving too many request bodies at once; try again later' });

  // A chunked body starts small and grows: it fits at first, and is refused when it grows past the budget.
  const chunk = 'y'.repeat(20 * 1024);
  const chunked = await rawRequest(
    collector.url,
    Buffer.from(`POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nX-Telemetry-TID: ${UPSTREAM_TID}\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`),
  );
  assert.deepEqual([chunked.status, chunked.headers.connection], [503, 'close']);

  // Nothing else is lost: a small record fits beside the held ones, and the held ones complete.
  const small = await rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(v3Body({}, 'small\n')) }));
  assert.equal(small.status, 201);
  assert.deepEqual([(await first.finish()).status, (await second.finish()).status], [201, 201]);
  const retried = await rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: paddedRecord('third\n', size) }));
  assert.equal(retried.status, 201, 'the refused request succeeds once the memory is given back');

  const listed = (await (await fetch(new URL('/api/records', collector.url))).json()) as { records: { payload: string }[] };
  assert.deepEqual(listed.records.map((record) => record.payload).sort(), ['first\n', 'second\n', 'small\n', 'third\n']);

  assert.equal((await collector.stop()).code, 0, 'the collector stops cleanly');
  const warnings = collector.logs().filter((line) => line.msg.includes('max_body_memory'));
  assert.ok(warnings.length >= 1 && warnings.length <= 2, JSON.stringify(warnings));
  assert.ok(warnings.every((line) => line.level === LEVEL.warn && line.max_body_memory === 100 * 1024));
  assert.equal(
    warnings.reduce((total, line) => total + (line.count as number), 0),
    2,
    'both refusals are counted, in at most one line per interval',
  );
});

test('connections: past max_connections a new connection is closed on arrival and counted in a warning; a freed slot is usable again', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { max_connections: 2 } });
  const { port } = new URL(collector.url);
  /** Connects and sends GET /healthz on a keep-alive connection; resolves with the answer's status, or null when the server closed first. */
  const healthOnNewConnection = () =>
    new Promise<{ socket: net.Socket; status: number | null }>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
      let received = '';
      socket.on('data', (data: Buffer) => {
        received += data.toString('latin1');
        if (received.includes('\r\n\r\n')) resolve({ socket, status: parseHead(received)?.status ?? null });
      });
      socket.on('error', () => resolve({ socket, status: null }));
      socket.on('close', () => resolve({ socket, status: null }));
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
  const first = await healthOnNewConnection();
  const second = await healthOnNewConnection();
  assert.deepEqual([first.status, second.status], [200, 200]);
  const third = await healthOnNewConnection();
  assert.equal(third.status, null, 'the third connection is closed without an answer');

  first.socket.destroy();
  let again: number | null = null;
  for (let attempt = 0; attempt < 50 && again === null; attempt += 1) {
    const next = await healthOnNewConnection();
    again = next.status;
    if (again === null) await sleep(100);
  }
  assert.equal(again, 200, 'a connection is accepted once one of the two closes');
  second.socket.destroy();

  assert.equal((await collector.stop()).code, 0, 'the collector stops cleanly');
  const warnings = collector.logs().filter((line) => line.msg.includes('max_connections'));
  assert.ok(warnings.length >= 1, 'the refused connection is logged');
  assert.ok(warnings.every((line) => line.level === LEVEL.warn && line.max_connections === 2));
});
