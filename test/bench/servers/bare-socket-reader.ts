/** Baseline: the fastest a Node process can take one-shot unix-socket connections, reading and discarding. */
import net from 'node:net';

const socketPath = process.argv[2] as string;
let received = 0;
const server = net.createServer((socket) => {
  socket.on('data', () => undefined);
  socket.on('end', () => {
    received += 1;
    socket.end();
  });
});
server.listen(socketPath, () => process.send?.({ ready: true }));
process.on('message', () => process.send?.({ received }));
