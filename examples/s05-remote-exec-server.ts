/**
 * Tutorial program S5 (docs/tutorial-map.md): the TCP remote command server, done safely.
 *
 * Python (the tutorial's server, abridged):
 * ```python
 * conn, addr = tcp_server.accept()
 * while True:
 *     cmd = conn.recv(1024)
 *     res = subprocess.Popen(cmd.decode("utf-8"), shell=True, stdout=PIPE, stderr=PIPE)
 *     cmd_res = res.stderr.read() or res.stdout.read() or "命令执行OK".encode("gbk")
 *     conn.send(cmd_res)
 * ```
 *
 * That server runs anything anyone sends, in a shell; cuts commands and output at 1024
 * bytes (and leaves the rest to be read as the *next* reply); and dies when a client
 * vanishes. This one runs only the commands listed below, without a shell, for clients
 * that sign each request with a shared secret; it streams any amount of output in
 * length-prefixed frames and kills a command whose client went away.
 *
 * Run: `SOCKETKIT_EXEC_SECRET=some-long-secret npx tsx examples/s05-remote-exec-server.ts [--port 8080]`,
 * then `SOCKETKIT_EXEC_SECRET=some-long-secret npx tsx examples/s05-remote-exec-client.ts`.
 */
import { parseArgs } from 'node:util';
import { TcpServer } from 'socketkit/server';
import { execService } from 'socketkit/services';
import { demoCommands } from './s05-remote-exec-commands.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    'secret-file': { type: 'string' },
  },
});

// Loopback only: exec refuses any other address unless TLS is on (docs/exec.md).
const host = '127.0.0.1';
const instance = await execService.create(
  { host, commands: demoCommands(), secretFile: values['secret-file'], execTimeout: 10 },
  {
    signal: new AbortController().signal,
    log: (level, message) => console.error(`${level}: ${message}`),
  },
);
if (!instance.stream) throw new Error('exec has a stream handler');
const server = await new TcpServer({
  host,
  port: Number(values.port),
  handler: instance.stream,
}).listen();
const { port } = server.address as { port: number };
console.log(
  `exec server on ${host}:${port} (tcp), commands: ${Object.keys(demoCommands()).join(', ')}`,
);

process.once('SIGINT', () => void server.close());
process.once('SIGTERM', () => void server.close());
await server.serveForever();
