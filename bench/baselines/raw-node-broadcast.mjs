#!/usr/bin/env node
// Baseline: a minimal line-based chat broadcast server. Every complete line a client
// sends is written, prefixed "<userN> ", to every other client (ncat --chat style).
// Usage: node raw-node-broadcast.mjs PORT [HOST]   (prints "listening PORT" when ready)
import net from 'node:net';

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';
const clients = new Set();
let next = 0;
const server = net.createServer((socket) => {
  const prefix = `<user${next++}> `;
  let partial = '';
  clients.add(socket);
  socket.setNoDelay(true);
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    const text = partial + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      partial = text;
      return;
    }
    partial = text.slice(end + 1);
    const out = `${text
      .slice(0, end + 1)
      .split('\n')
      .slice(0, -1)
      .map((l) => prefix + l)
      .join('\n')}\n`;
    for (const c of clients) if (c !== socket) c.write(out);
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => clients.delete(socket));
});
server.listen({ port, host, backlog: 511 }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
