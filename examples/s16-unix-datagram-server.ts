/**
 * Tutorial program S16 (docs/tutorial-map.md): `UnixDatagramServer` — datagrams between processes on one
 * machine. Node's core has no Unix datagram sockets; socketkit brings them (on the
 * native `unix-dgram` package) behind the same server API as UDP.
 *
 * Python:
 * ```python
 * class Handler(DatagramRequestHandler):
 *     def handle(self):
 *         data = self.rfile.read()
 *         self.wfile.write(data.upper())
 * UnixDatagramServer('/tmp/upper.dgram', Handler).serve_forever()
 * ```
 * and its client, which must bind a path of its own to receive the reply:
 * ```python
 * s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
 * s.bind('/tmp/client.dgram')
 * s.sendto(b'hello', '/tmp/upper.dgram'); print(s.recvfrom(1024))
 * ```
 *
 * Run: `npx tsx examples/s16-unix-datagram-server.ts [--path /tmp/upper.dgram]`, then
 * `socat - UNIX-SENDTO:/tmp/upper.dgram,bind=/tmp/client.dgram` or the Python client.
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DatagramRequestHandler, UnixDatagramServer } from 'socketkit/server';

/** Answers every datagram with the datagram in capitals. */
export class UpperDatagramHandler extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    await this.reply(this.packet.toString('utf8').toUpperCase());
  }
}

/** Starts the server on `path`. */
export async function startUpperDatagramServer(path: string): Promise<UnixDatagramServer> {
  const server = new UnixDatagramServer({ path, handler: UpperDatagramHandler });
  await server.listen();
  void server.serveForever();
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { path: { type: 'string', default: join(tmpdir(), 'upper.dgram') } },
  });
  const server = await startUpperDatagramServer(values.path);
  console.log(`listening on ${values.path}`);
  process.once('SIGINT', () => void server.shutdown());
  process.once('SIGTERM', () => void server.shutdown());
}
