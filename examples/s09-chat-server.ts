/**
 * Tutorial program S9 (docs/tutorial-map.md): the chat room server. Every line a client sends goes to all the
 * other clients.
 *
 * Python (the tutorial's server, abridged):
 * ```python
 * def handle_client(client_socket, client_address, clients):
 *     while True:
 *         try:
 *             message = client_socket.recv(1024).decode()
 *             if not message: break
 *             broadcast_message(message, clients, client_socket)
 *         except: break
 *     client_socket.close(); clients.remove(client_socket)
 * def broadcast_message(message, clients, sender_socket):
 *     for client in clients:
 *         if client != sender_socket: client.sendall(message.encode())
 * # accept loop: one thread per client
 * ```
 *
 * socketkit: the `chat` service on a `TcpServer`. What changes: messages are lines with
 * a sender (`<alice> hi`), a slow client is cut instead of blocking the broadcast loop
 * (`sendall` in the tutorial waits on each client in turn), bytes that are not UTF-8 no
 * longer kill the thread (`decode()` raising), the client list is not mutated while
 * another thread iterates it, and with `--bus redis://…` several servers form one chat.
 * The tutorial's client (examples/s09-chat-client.py) works unchanged: it sends without
 * a newline, and the server takes a line that waited 200 ms as a message.
 *
 * Run: `npx tsx examples/s09-chat-server.ts [--port 7777] [--bus redis://127.0.0.1:6379]`,
 * then `nc 127.0.0.1 7777`, `python3 examples/s09-chat-client.py 7777` or
 * `socketkit chat 127.0.0.1 7777`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { TcpServer } from 'socketkit/server';
import { createChat } from 'socketkit/services';

/** A running chat server. */
export interface ChatServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a chat server on `host:port` (port 0: any free port).
 * @param options.bus `memory` (default) or `redis://host:port`.
 */
export async function startChatServer(
  options: { host?: string; port?: number; bus?: string; busPrefix?: string } = {},
): Promise<ChatServer> {
  const { hub, stream } = await createChat({
    bus: options.bus ?? 'memory',
    ...(options.busPrefix === undefined ? {} : { busPrefix: options.busPrefix }),
  });
  const server = new TcpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    handler: stream,
  });
  await server.listen();
  void server.serveForever();
  const address = server.address;
  return {
    port: 'port' in address ? address.port : 0,
    async close() {
      await hub.close();
      await server.shutdown({ drainTimeout: 2 });
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7777' },
      host: { type: 'string', default: '127.0.0.1' },
      bus: { type: 'string', default: 'memory' },
      'bus-prefix': { type: 'string' },
    },
  });
  const server = await startChatServer({
    host: values.host,
    port: Number(values.port),
    bus: values.bus,
    ...(values['bus-prefix'] === undefined ? {} : { busPrefix: values['bus-prefix'] }),
  });
  console.log(`chat listening on ${values.host}:${server.port} (bus: ${values.bus})`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
