#!/usr/bin/env node
// Baseline: the plainest Node TCP echo server, socket.pipe(socket).
// Usage: node raw-net-echo.mjs PORT [HOST]   (prints "listening PORT" when ready)
import net from 'node:net';

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';
const server = net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
server.listen({ port, host, backlog: 511 }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
