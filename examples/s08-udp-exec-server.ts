/**
 * Tutorial program S8 (docs/tutorial-map.md): the UDP remote command server, done safely.
 *
 * Python (the tutorial's server, abridged):
 * ```python
 * while True:
 *     cmd, addr = udp_server.recvfrom(1024)
 *     res = subprocess.Popen(cmd.decode("utf-8"), shell=True, stdout=PIPE, stderr=PIPE)
 *     udp_server.sendto(res.stderr.read() or res.stdout.read() or b"ok", addr)
 * ```
 *
 * That reply is one datagram: output over ~64 KB fails to send, and the client's
 * `recvfrom(1024)` silently drops everything past 1024 bytes. Here the request is one
 * signed datagram; the reply is cut into numbered datagrams of at most 1200 bytes that
 * the client puts back together (and it says so if some were lost); each client address
 * is rate limited, and UDP exec only ever listens on loopback (UDP has no TLS).
 *
 * Run: `SOCKETKIT_EXEC_SECRET=some-long-secret npx tsx examples/s08-udp-exec-server.ts [--port 8080]`,
 * then `SOCKETKIT_EXEC_SECRET=some-long-secret npx tsx examples/s08-udp-exec-client.ts`.
 */
import { parseArgs } from 'node:util';
import { UdpServer } from 'socketkit/server';
import { execService } from 'socketkit/services';
import { demoCommands } from './s05-remote-exec-commands.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'secret-file': { type: 'string' },
  },
});

const host = '127.0.0.1';
const instance = await execService.create(
  { host, udpEnabled: true, commands: demoCommands(), secretFile: values['secret-file'] },
  {
    signal: new AbortController().signal,
    log: (level, message) => console.error(`${level}: ${message}`),
  },
);
if (!instance.datagram) throw new Error('exec has a datagram handler');
const server = await new UdpServer({
  host,
  port: Number(values.port),
  handler: instance.datagram,
}).listen();
const { port } = server.address as { port: number };
console.log(
  `exec server on ${host}:${port} (udp), commands: ${Object.keys(demoCommands()).join(', ')}`,
);

process.once('SIGINT', () => void server.close());
process.once('SIGTERM', () => void server.close());
await server.serveForever();
