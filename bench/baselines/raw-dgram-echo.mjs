#!/usr/bin/env node
// Baseline: the plainest Node UDP echo server.
// Usage: node raw-dgram-echo.mjs PORT [HOST]   (prints "listening PORT" when ready)
import dgram from 'node:dgram';

const port = Number(process.argv[2] ?? 0);
const host = process.argv[3] ?? '127.0.0.1';
const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
socket.on('error', () => {});
socket.bind(port, host, () => {
  process.stdout.write(`listening ${socket.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
