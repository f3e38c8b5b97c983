/**
 * Found by the crash run with collector outages: a collector told to stop must stop even while a
 * client (an agent draining its spool) keeps using its keep-alive connection. A request that was
 * under way when close() was called used to be answered "Connection: keep-alive", and every
 * request after it too, so close() never finished.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UPSTREAM_TID, rawHttp, startTestCollector, v3Body } from '../collector/collector-helpers.js';

test('collector: close() finishes while a keep-alive client is mid-request and keeps sending; that answer says Connection: close', { timeout: 20_000 }, async (t) => {
  const collector = await startTestCollector(t);
  const socket = net.connect(Number(new URL(collector.url).port), '127.0.0.1');
  t.after(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  let socketClosed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('close', () => (socketClosed = true));
  socket.on('error', () => undefined);
  const request = (index: number) =>
    rawHttp({
      path: '/v3/collector',
      headers: { 'Content-Type': 'application/json', 'X-Telemetry-TID': UPSTREAM_TID },
      body: JSON.stringify(v3Body({ event_id: String(index).padStart(32, '0') }, `busy ${index}`)),
    });

  const first = request(1);
  socket.write(first.subarray(0, 20));
  let closed = false;
  const closing = collector.close().then(() => (closed = true));
  await sleep(50);
  socket.write(first.subarray(20));
  // A busy client sends its next request as soon as it has an answer.
  for (let index = 2; index <= 20 && !socketClosed; index += 1) {
    await sleep(50);
    if (!socketClosed) socket.write(request(index));
  }
  await Promise.race([closing, sleep(2000)]);
  assert.ok(closed, 'close() finished');
  assert.ok(socketClosed, 'the server closed the connection');
  assert.deepEqual(received.match(/^HTTP\/1\.1 \d+/gm), ['HTTP/1.1 201'], 'the request under way was answered');
  assert.match(received, /\r\nConnection: close\r\n/i);
});
