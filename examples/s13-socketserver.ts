/**
 * Tutorial program S13 (docs/tutorial-map.md): `socketserver` — a `TCPServer` with a `StreamRequestHandler`
 * that thanks each client, then the `ThreadingMixIn` and `ForkingMixIn` versions.
 *
 * Python:
 * ```python
 * class Handler(StreamRequestHandler):
 *     def handle(self):
 *         addr = self.request.getpeername()
 *         print('Got connection from', addr)
 *         self.wfile.write('Thank you for connecting')
 *
 * server = TCPServer(('', 1234), Handler)                      # one client at a time
 * class Server(ThreadingMixIn, TCPServer): pass                # a thread per client
 * class Server(ForkingMixIn, TCPServer): pass                  # a process per client
 * server.serve_forever()        # or server.handle_request() for exactly one client
 * ```
 *
 * socketkit: the same handler class; the mixins become options —
 *   --mode serial      TCPServer: one client at a time
 *   --mode concurrent  ThreadingMixIn: every client at once, on the event loop (default)
 *   --processes N      ForkingMixIn's use (isolation, several CPUs): a ClusterSupervisor
 *                      runs the server in N worker processes that share the socket; a
 *                      worker that dies is replaced
 *   --once             handle_request(): serve exactly one client, then exit
 * The workers of `--processes` run this same script (node:cluster), so the code below
 * runs in each of them; only the primary prints and handles Ctrl-C.
 *
 * Run: `npx tsx examples/s13-socketserver.ts [--port 1234] [--mode serial|concurrent]
 * [--processes 4] [--once]`, then `nc 127.0.0.1 1234`.
 */
import { parseArgs } from 'node:util';
import { ClusterSupervisor, StreamRequestHandler, TcpServer } from 'socketkit/server';

/** The tutorial's handler: log who connected, thank them; the server then closes. */
export class ThankYouHandler extends StreamRequestHandler {
  override async handle(): Promise<void> {
    const peer = this.socket.getPeerName();
    if (peer.family !== 'unix')
      console.log(`Got connection from ${peer.address}:${peer.port} (pid ${process.pid})`);
    await this.write('Thank you for connecting');
  }
}

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '1234' },
    mode: { type: 'string', default: 'concurrent' },
    processes: { type: 'string', default: '1' },
    once: { type: 'boolean', default: false },
  },
});

// The supervisor finds the server by its key ('thanks') in every process.
const cluster = new ClusterSupervisor({
  processes: Number(values.processes),
  servers: () => ({
    thanks: new TcpServer({
      host: values.host,
      port: Number(values.port),
      concurrency: values.mode === 'serial' ? 'serial' : 'concurrent',
      handler: ThankYouHandler,
    }),
  }),
});
await cluster.start();

if (cluster.role !== 'worker') {
  const { address, port } = cluster.address('thanks') as { address: string; port: number };
  console.log(`listening on ${address}:${port}`);
  process.once('SIGINT', () => void cluster.shutdown());
  process.once('SIGTERM', () => void cluster.shutdown());
}

const server = cluster.server('thanks');
if (values.once && cluster.role === 'single' && server !== undefined) {
  await server.handleRequest(); // exactly one client
  await cluster.close();
} else {
  await cluster.serveForever(); // until shutdown()
}
