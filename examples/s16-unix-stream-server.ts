/**
 * Tutorial program S16 (docs/tutorial-map.md): `UnixStreamServer` — a stream server on a Unix socket file, for
 * processes on the same machine (no port, file permissions as access control).
 *
 * Python:
 * ```python
 * class Handler(StreamRequestHandler):
 *     def handle(self):
 *         for line in self.rfile:
 *             self.wfile.write(line.upper())
 * UnixStreamServer('/tmp/upper.sock', Handler).serve_forever()
 * ```
 *
 * socketkit: the same, with `readLine()`/`writeLine()`. A socket file left behind by a
 * crashed server is removed at start (only if nothing listens on it), and the file is
 * removed again on shutdown.
 *
 * Run: `npx tsx examples/s16-unix-stream-server.ts [--path /tmp/upper.sock]`, then
 * `nc -U /tmp/upper.sock` or `socat - UNIX-CONNECT:/tmp/upper.sock`.
 */

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { StreamRequestHandler, UnixStreamServer } from 'socketkit/server';

/** Answers every line with the line in capitals. */
export class UpperHandler extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for await (const line of this.lines()) await this.writeLine(line.toUpperCase(), '\n');
  }
}

/** Starts the server on `path`. */
export async function startUpperServer(path: string): Promise<UnixStreamServer> {
  const server = new UnixStreamServer({ path, handler: UpperHandler });
  await server.listen();
  void server.serveForever();
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { path: { type: 'string', default: join(tmpdir(), 'upper.sock') } },
  });
  const server = await startUpperServer(values.path);
  console.log(`listening on ${values.path}`);
  process.once('SIGINT', () => void server.shutdown());
  process.once('SIGTERM', () => void server.shutdown());
}
