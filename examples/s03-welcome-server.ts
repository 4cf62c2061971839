/**
 * Tutorial program S3 (docs/tutorial-map.md): a server that greets every client with one line and hangs up.
 *
 * Python:
 * ```python
 * serversocket.bind((host, 8080)); serversocket.listen(5)
 * while True:
 *     clientsocket, addr = serversocket.accept()
 *     clientsocket.send(('welcome to JinCheng!' + '\r\n').encode('utf-8'))
 *     clientsocket.close()
 * ```
 *
 * socketkit: the handler only writes the line; the server closes the connection
 * gracefully when the handler returns (the line is flushed before the FIN), and
 * restarting the server at once never hits "Address already in use" (S15). The same
 * job, configurable, is the `qotd` service: `socketkit serve qotd --message "..."`.
 *
 * Run: `npx tsx examples/s03-welcome-server.ts [--port 8080] [--message TEXT]`, then
 * `npx tsx examples/s03-welcome-client.ts` or `nc 127.0.0.1 8080`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TcpServer } from 'socketkit/server';

/** Starts a server that sends `message` + CRLF to each client, then closes. */
export async function startWelcomeServer(
  options: { host?: string; port?: number; message?: string } = {},
): Promise<TcpServer> {
  const line = `${options.message ?? 'welcome to JinCheng!'}\r\n`;
  const server = new TcpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8080,
    handler: (conn) => conn.sendAll(line),
  });
  await server.listen();
  void server.serveForever();
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      message: { type: 'string', default: 'welcome to JinCheng!' },
    },
  });
  const server = await startWelcomeServer({
    host: values.host,
    port: Number(values.port),
    message: values.message,
  });
  const { address, port } = server.address as { address: string; port: number };
  console.log(`listening on ${address}:${port}`);
  process.once('SIGINT', () => void server.shutdown());
  process.once('SIGTERM', () => void server.shutdown());
}
