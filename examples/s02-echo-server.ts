/**
 * Tutorial program S2 (docs/tutorial-map.md): the echo server people try with telnet — first one client at a
 * time, then "a thread per connection" so that many clients talk at once.
 *
 * Python (the tutorial's loop, one client at a time):
 * ```python
 * s.bind(('127.0.0.1', 8100)); s.listen(1)
 * while True:
 *     conn, addr = s.accept()
 *     while True:
 *         data = conn.recv(1024)
 *         conn.send(data)          # spins for ever once the client is gone
 *     conn.close()
 * ```
 *
 * socketkit: the whole server is the handler below. `--serial` serves one client at a
 * time like the tutorial (the next caller waits); the default serves every client at
 * once on the event loop (what the thread-per-connection version wanted). A client that
 * disconnects ends its loop (EOF) instead of spinning, and a reset is not a crash.
 *
 * Run: `npx tsx examples/s02-echo-server.ts [--port 8100] [--serial]`, then
 * `telnet 127.0.0.1 8100`, `nc 127.0.0.1 8100` or `npx tsx examples/s02-echo-client.ts`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type ConnectionContext, TcpServer } from 'socketkit/server';
import type { Socket } from 'socketkit/socket';

/** Echoes every byte back until the client closes. */
export async function echo(conn: Socket, _ctx: ConnectionContext): Promise<void> {
  for await (const chunk of conn) await conn.sendAll(chunk);
}

/** Starts the echo server (it serves until `shutdown()`). */
export async function startEchoServer(
  options: { host?: string; port?: number; serial?: boolean } = {},
): Promise<TcpServer> {
  const server = new TcpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8100,
    concurrency: options.serial ? 'serial' : 'concurrent',
    handler: echo,
  });
  await server.listen();
  void server.serveForever();
  return server;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8100' },
      serial: { type: 'boolean', default: false },
    },
  });
  const server = await startEchoServer({
    host: values.host,
    port: Number(values.port),
    serial: values.serial,
  });
  const { address, port } = server.address as { address: string; port: number };
  console.log(`listening on ${address}:${port} (${values.serial ? 'serial' : 'concurrent'})`);
  // Ctrl-C: stop accepting, let the clients being served finish, then exit.
  const stop = (): void => void server.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
