/**
 * Slow, stalled and vanishing clients against the real collector process: the head, request,
 * idle and keep-alive deadlines (collector.timeouts), answers that close the connection instead
 * of reading a body nobody will use, and uploads cut short, which are logged at debug only.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IncomingRecord } from '../../../engine/collector/record/record.js';
import { openStore } from '../../../engine/collector/storage/open-store.js';
import { tempDir } from '../../helpers/tmp.js';
import { UPSTREAM_TID, rawHttp, rawRequest, v3Body } from '../collector-helpers.js';
import { LEVEL, startCollectorProcess } from '../collector-process.js';
import { incomingRecord } from '../incoming-records.js';

const MB = 1_000_000;

interface Exchange {
  /** Bytes of the request the client got written before the server answered or closed. */
  readonly sent: number;
  /** Everything the server sent, as text. */
  readonly received: string;
  readonly status: number | null;
  readonly body: string;
}

function exchangeOf(sent: number, received: string): Exchange {
  const end = received.indexOf('\r\n\r\n');
  return { sent, received, status: end < 0 ? null : Number(received.split(' ')[1]), body: end < 0 ? '' : received.slice(end + 4) };
}

/**
 * Writes `head`, then `rest` a piece at a time (each write waits for the previous one to be taken
 * by the kernel, every `intervalMs` if given), and stops when the server answers or closes, or
 * when everything is written. Resolves once the connection is closed.
 */
function send(url: string, options: { head: string | Buffer; rest: Buffer; piece: number; intervalMs?: number }): Promise<Exchange> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    let sent = 0;
    let closed = false;
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      resolve(exchangeOf(sent, received));
    });
    const write = (bytes: Buffer | string) => new Promise<boolean>((done) => socket.write(bytes, (error) => done(!error)));
    void (async () => {
      if (!(await write(options.head))) return;
      for (let offset = 0; offset < options.rest.length && !closed && received === ''; offset += options.piece) {
        if (options.intervalMs !== undefined) await sleep(options.intervalMs);
        const piece = options.rest.subarray(offset, offset + options.piece);
        if (!(await write(piece))) return;
        sent += piece.length;
      }
      // Everything written: give the server a moment to answer, then hang up.
      await Promise.race([new Promise((done) => socket.once('close', done)), sleep(5_000)]);
      socket.destroy();
    })();
  });
}

const TIMEOUTS = { headers: '1s', request: '2s', idle: '60s', keep_alive: '1s' };
const TIMEOUT_MESSAGE = 'the request was not received in time: the collector waits 1s for the head and 2s for the whole request (collector.timeouts)';

test('deadlines: a head sent one byte every 100 ms gets 408 naming collector.timeouts once timeouts.headers passes, and is closed', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { timeouts: TIMEOUTS } });
  // 100 bytes at 100 ms would take 10 s; the head deadline is 1 s.
  const exchange = await send(collector.url, {
    head: 'POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\n',
    rest: Buffer.from(`X-Padding: ${'a'.repeat(86)}\r\n\r\n`),
    piece: 1,
    intervalMs: 100,
  });
  assert.equal(exchange.status, 408, exchange.received);
  assert.deepEqual(JSON.parse(exchange.body), { message: TIMEOUT_MESSAGE });
  assert.ok(exchange.sent < 100, `the connection was cut after ${exchange.sent} of 100 bytes`);
});

test('deadlines: a body sent one byte every 100 ms gets 408 once timeouts.request passes, long before it is complete; logged at debug only', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { timeouts: TIMEOUTS }, logLevel: 'debug' });
  const body = Buffer.from(JSON.stringify(v3Body()).padEnd(100, ' '));
  const exchange = await send(collector.url, {
    head: `POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Telemetry-TID: ${UPSTREAM_TID}\r\nContent-Length: ${body.length}\r\n\r\n`,
    rest: body,
    piece: 1,
    intervalMs: 100,
  });
  assert.equal(exchange.status, 408, exchange.received);
  assert.deepEqual(JSON.parse(exchange.body), { message: TIMEOUT_MESSAGE });
  assert.ok(exchange.sent < body.length, `the connection was cut after ${exchange.sent} of ${body.length} bytes`);
  assert.equal((await collector.stop()).code, 0, 'the collector stops cleanly');
  assert.deepEqual(
    collector.logs().filter((line) => line.level >= LEVEL.warn),
    [],
    'a slow client is nothing to warn about',
  );
});

test('deadlines: a keep-alive connection is offered for timeouts.keep_alive and closed by the collector after it', async (t) => {
  const collector = await startCollectorProcess(t, { collector: { timeouts: TIMEOUTS } });
  const { port } = new URL(collector.url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  let received = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (data: Buffer) => {
    received += data.toString('latin1');
  });
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  // Node closes an idle keep-alive connection 1 s after the time it advertises.
  const outcome = await Promise.race([closed.then(() => 'closed by the collector'), sleep(15_000).then(() => 'still open after 15 s')]);
  socket.destroy();
  assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(received, /\r\nKeep-Alive: timeout=1\r\n/);
  assert.equal(outcome, 'closed by the collector');
});

/** A record with an 8 KB payload (an export of 3,000 of them is 25 MB, more than loopback buffers hold). */
function bigRecord(serial: number): IncomingRecord {
  return incomingRecord(serial, { received_at: Date.now(), classification: 'org.example/export/big', severity: 1, machine_id: 'machine-a', payload: `${serial} ${'p'.repeat(8000)}\n` });
}

test('deadlines: a client that stops reading an export is disconnected after timeouts.idle; the export is not sent to its end', async (t) => {
  const file = path.join(await tempDir(t), 'big.db');
  const { store } = await openStore({ database: `sqlite:${file}` });
  for (let batch = 0; batch < 6; batch += 1) await store.insert(Array.from({ length: 500 }, (_, index) => bigRecord(batch * 500 + index)));
  await store.close();
  const collector = await startCollectorProcess(t, { collector: { database: `sqlite:${file}`, timeouts: { ...TIMEOUTS, idle: '1s' } } });

  const { port } = new URL(collector.url);
  const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
  socket.pause();
  socket.write('GET /api/records?format=ndjson HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  // The client reads nothing for 4 idle deadlines, then everything the collector still sends.
  await sleep(4_000);
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (data: Buffer) => chunks.push(data));
  socket.on('error', () => undefined);
  socket.resume();
  await Promise.race([ended, sleep(30_000)]);
  socket.destroy();
  const received = Buffer.concat(chunks);
  assert.match(received.subarray(0, 20).toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(!received.subarray(-7).toString('latin1').endsWith('\r\n0\r\n\r\n'), 'the chunked export has no last chunk: it was cut');
  assert.ok(received.length < 25 * MB, `${received.length} bytes received of the 25 MB export`);
});

test('early close: 405, 404 and 413 answers to a 100 MB upload close the connection without reading the body', async (t) => {
  const collector = await startCollectorProcess(t);
  const body = Buffer.alloc(100 * MB, 'x');
  const head = (method: string, pathname: string, framing = `Content-Length: ${body.length}`) =>
    `${method} ${pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Telemetry-TID: ${UPSTREAM_TID}\r\n${framing}\r\n\r\n`;
  const cases = [
    { name: 'PUT on an ingest path', head: head('PUT', '/v3/collector'), status: 405 },
    { name: 'POST on the query API', head: head('POST', '/api/records'), status: 405 },
    { name: 'POST on an unknown path', head: head('POST', '/v3/alt-collector'), status: 404 },
    { name: 'a declared length over max_body', head: head('POST', '/v3/collector'), status: 413 },
    { name: 'a chunked body over max_body', head: head('POST', '/v3/collector', 'Transfer-Encoding: chunked'), status: 413, chunked: true },
  ];
  for (const { name, status, ...request } of cases) {
    // A chunked body: one 100 MB chunk, announced up front.
    const rest = 'chunked' in request ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body]) : body;
    const exchange = await send(collector.url, { head: request.head, rest, piece: 64 * 1024 });
    assert.equal(exchange.status, status, `${name}: ${exchange.received.slice(0, 200)}`);
    assert.match(exchange.received, /\r\nConnection: close\r\n/i, name);
    // What the kernels buffer on both sides is all the client gets to write; the collector reads none of it.
    assert.ok(exchange.sent < 25 * MB, `${name}: the client wrote ${exchange.sent} bytes before the collector closed`);
  }
  assert.equal((await collector.stop()).code, 0, 'the collector stops cleanly');
});

test('aborted uploads: clients hanging up mid-body are logged at debug, never as a failed request; the collector goes on', async (t) => {
  const collector = await startCollectorProcess(t, { logLevel: 'debug' });
  const { port } = new URL(collector.url);
  const clients = 40;
  await Promise.all(
    Array.from(
      { length: clients },
      (_, index) =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
          socket.on('error', () => undefined);
          socket.once('close', () => resolve());
          socket.once('data', (data: Buffer) => {
            if (!data.toString('latin1').startsWith('HTTP/1.1 100 Continue')) return reject(new Error(data.toString('latin1')));
            // The handler is reading the body now: send part of it and hang up, half with FIN, half with RST.
            socket.write('{"classification": "org.example/cut/short", ', () => (index % 2 === 0 ? socket.destroy() : socket.resetAndDestroy()));
          });
          socket.write(`POST /v3/collector HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Telemetry-TID: ${UPSTREAM_TID}\r\nExpect: 100-continue\r\nContent-Length: 10000\r\n\r\n`);
        }),
    ),
  );
  const cut = () => collector.logs().filter((line) => line.msg === 'client closed the connection before its body was complete');
  for (let attempt = 0; attempt < 100 && cut().length < clients; attempt += 1) await sleep(100);
  assert.equal(cut().length, clients);
  assert.ok(cut().every((line) => line.level === LEVEL.debug && line.declared === 10_000));

  const stored = await rawRequest(collector.url, rawHttp({ path: '/v3/collector', headers: { 'X-Telemetry-TID': UPSTREAM_TID }, body: JSON.stringify(v3Body()) }));
  assert.equal(stored.status, 201);
  assert.equal((await collector.stop()).code, 0, 'the collector stops cleanly');
  const loud = collector.logs().filter((line) => line.level >= LEVEL.warn || line.msg.startsWith('request failed'));
  assert.deepEqual(loud, [], 'no warning or error for a client that went away');
});
