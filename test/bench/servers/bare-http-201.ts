/** Baseline: a bare Node HTTP server that reads the body and answers 201. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(201, { 'content-type': 'application/json', 'content-length': '2' }).end('{}'));
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
