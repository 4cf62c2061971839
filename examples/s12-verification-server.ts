/**
 * Tutorial program S12 (docs/tutorial-map.md): the verification server. A client that sends "1" gets
 * "welcome to server!", anything else gets "please go out!", and a client that keeps
 * the server waiting more than 5 seconds is dropped.
 *
 * Python (the tutorial's server.py):
 * ```python
 * sock.bind(('localhost', 8001)); sock.listen(5)
 * while True:
 *     connection, address = sock.accept()
 *     try:
 *         connection.settimeout(5)
 *         buf = connection.recv(1024)
 *         if buf == '1': connection.send('welcome to server!')
 *         else: connection.send('please go out!')
 *     except socket.timeout:
 *         print('time out')
 *     connection.close()
 * ```
 *
 * socketkit: the same steps, but each client is served on its own (a slow client no
 * longer holds up the others), the reply is sent whole (`sendAll`, not `send`), a
 * client that hangs up or resets is logged instead of crashing the loop, and the
 * answer ignores a trailing newline so that `nc`/`telnet` users typing `1⏎` get in.
 *
 * Run: `npx tsx examples/s12-verification-server.ts [--port 8001] [--timeout 5]`,
 * then `npx tsx examples/s12-verification-client.ts` (or `nc localhost 8001`).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SocketError, SocketTimeoutError } from 'socketkit/errors';
import { type Accepted, Listener, type TcpAddress } from 'socketkit/socket';

/** The password the tutorial checks for. */
export const PASSWORD = '1';
export const WELCOME = 'welcome to server!';
export const GO_AWAY = 'please go out!';

/** Options of {@link startVerificationServer}. */
export interface VerificationServerOptions {
  host?: string;
  /** Default 8001, as in the tutorial; 0 picks a free port. */
  port?: number;
  /** Seconds a client may take to send its word (the tutorial's 5). */
  timeout?: number;
  /** Where log lines go. */
  log?: (line: string) => void;
}

/** A running verification server. */
export interface VerificationServer {
  readonly address: TcpAddress;
  /** Stops accepting and waits for the clients being served. */
  close(): Promise<void>;
}

/** The reply to one client's word. */
export function verify(word: Buffer): string {
  return word.toString('utf8').trim() === PASSWORD ? WELCOME : GO_AWAY;
}

async function serveClient(
  { socket, address }: Accepted,
  log: (line: string) => void,
): Promise<void> {
  const who = 'address' in address ? `${address.address}:${address.port}` : 'unix client';
  try {
    const word = await socket.recv(1024);
    if (word.length === 0) {
      log(`${who} hung up without a word`);
      return;
    }
    const reply = verify(word);
    await socket.sendAll(reply);
    log(`${who} sent ${JSON.stringify(word.toString('utf8'))}: ${reply}`);
  } catch (err) {
    if (err instanceof SocketTimeoutError) log(`${who}: time out`);
    else if (err instanceof SocketError) log(`${who}: ${err.message}`);
    else throw err;
  } finally {
    await socket.close();
  }
}

/** Starts the server; it serves until `close()`. */
export async function startVerificationServer(
  options: VerificationServerOptions = {},
): Promise<VerificationServer> {
  const { host = '127.0.0.1', port = 8001, timeout = 5, log = console.log } = options;
  const listener = await Listener.bind(
    { host, port },
    { backlog: 5, socketOptions: { timeout } }, // every accepted socket gets settimeout(5)
  );
  const local = listener.address;
  const address = { host, port: 'port' in local ? local.port : port };
  const clients = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const accepted of listener) {
      const served = serveClient(accepted, log).finally(() => clients.delete(served));
      clients.add(served);
    }
  })();
  return {
    address,
    async close() {
      await listener.close();
      await loop;
      await Promise.all(clients);
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8001' },
      timeout: { type: 'string', default: '5' },
    },
  });
  const server = await startVerificationServer({
    host: values.host,
    port: Number(values.port),
    timeout: Number(values.timeout),
  });
  console.log(`listening on ${server.address.host}:${server.address.port}`);
  const stop = (): void => {
    void server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
