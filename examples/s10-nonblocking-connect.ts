/**
 * Tutorial program S10 (docs/tutorial-map.md, "阻塞与非阻塞"): a non-blocking connect, and a
 * connect with a timeout.
 *
 * Python:
 * ```python
 * sock.setblocking(False)
 * try:
 *     sock.connect(('localhost', 12345))
 * except BlockingIOError:
 *     print("Connection attempt is in progress...")
 *
 * sock.settimeout(5)
 * try:
 *     sock.connect(('localhost', 12345))
 * except socket.timeout:
 *     print("Connection timed out.")
 * ```
 *
 * socketkit: `setBlocking(false)` makes `connect` reject at once with `WouldBlockError`
 * (errno `EINPROGRESS`) while the handshake carries on; a timeout makes it reject with
 * `SocketTimeoutError`. Both are classes of one error tree, so `instanceof` replaces
 * Python's `except` clauses.
 *
 * A connect only times out when nobody answers the SYN. On loopback the example makes
 * that happen honestly: a "busy" server (a worker thread whose event loop is stuck)
 * never accepts, so its listen queue (backlog 1) fills up and the kernel drops the
 * next handshakes, as a host behind a dropping firewall would.
 *
 * Run: `npx tsx examples/s10-nonblocking-connect.ts [HOST PORT] [--timeout SECONDS]`
 * (without HOST PORT it starts its own local servers).
 */

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ConnectError, SocketTimeoutError, WouldBlockError } from 'socketkit/errors';
import { Listener, Socket, type TcpAddress } from 'socketkit/socket';

type Print = (line: string) => void;

/**
 * Part 6 of the tutorial: a non-blocking connect. Resolves to the peer's address once the
 * connection is up, or to `null` when it failed (refused, unreachable).
 */
export async function nonBlockingConnect(
  address: TcpAddress,
  print: Print = console.log,
): Promise<string | null> {
  const sock = new Socket();
  try {
    sock.setBlocking(false);
    try {
      await sock.connect(address);
    } catch (err) {
      if (!(err instanceof WouldBlockError)) throw err;
      print('Connection attempt is in progress...');
    }
    // Python then calls getpeername() at once, which raises ENOTCONN if the handshake
    // has not finished yet. Wait for it instead: blocking again (with a limit), the
    // same connect() call completes the attempt already in progress.
    sock.setOperationTimeout(5);
    try {
      await sock.connect(address);
    } catch (err) {
      if (!(err instanceof ConnectError || err instanceof SocketTimeoutError)) throw err;
      print(`Connection failed. (${err.message})`);
      return null;
    }
    const peer = sock.getPeerName();
    const where = 'address' in peer ? `${peer.address}:${peer.port}` : peer.path;
    print(`Connection successful! (peer ${where})`);
    return where;
  } finally {
    await sock.close();
  }
}

/**
 * Part 7 of the tutorial: connect with a timeout. Resolves to the connected socket, or to
 * `null` when the connection timed out.
 */
export async function connectWithTimeout(
  address: TcpAddress,
  seconds: number,
  print: Print = console.log,
): Promise<Socket | null> {
  const sock = new Socket({ timeout: seconds });
  try {
    await sock.connect(address);
    print('Connection successful!');
    return sock;
  } catch (err) {
    await sock.close();
    if (err instanceof SocketTimeoutError) {
      print(`Connection timed out. (${err.message})`);
      return null;
    }
    throw err;
  }
}

/** A server that never accepts: its listen queue fills, then SYNs are dropped. */
export interface BusyServer {
  address: TcpAddress;
  stop(): Promise<void>;
}

// Plain JavaScript run in a worker thread: listen, report the port, then block the
// thread's event loop (Atomics.wait, no CPU) until told to stop, capped at 60 s.
const BUSY_SERVER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const server = net.createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  Atomics.wait(workerData, 0, 0, 60000);
  server.close();
});
`;

/** Starts a {@link BusyServer} on 127.0.0.1. */
export async function startBusyServer(): Promise<BusyServer> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(BUSY_SERVER_CODE, { eval: true, workerData: flag });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    address: { host: '127.0.0.1', port },
    async stop() {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await worker.terminate();
    },
  };
}

/**
 * Connects to the busy server until a connect times out: the first ones land in its
 * listen queue (the kernel completes their handshakes), the next one is ignored.
 * Resolves to how many connected before the timeout.
 */
export async function timeoutDemo(seconds: number, print: Print = console.log): Promise<number> {
  const busy = await startBusyServer();
  const queued: Socket[] = [];
  try {
    for (let attempt = 0; attempt < 16; attempt++) {
      const sock = await connectWithTimeout(busy.address, seconds, print);
      if (sock === null) return queued.length;
      queued.push(sock);
    }
    throw new Error('the busy server kept accepting: its listen queue never filled');
  } finally {
    for (const sock of queued) sock.destroy();
    await busy.stop();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { timeout: { type: 'string', default: '5' } },
  });
  const seconds = Number(values.timeout);
  if (!(seconds > 0)) throw new Error(`--timeout must be a positive number, got ${values.timeout}`);
  const [host, port] = positionals;
  if (host !== undefined && port !== undefined) {
    // The tutorial's own program, against a server of your choice.
    const address = { host, port: Number(port) };
    await nonBlockingConnect(address);
    try {
      (await connectWithTimeout(address, seconds))?.destroy();
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      console.log(`Connection failed. (${err.message})`);
    }
    return;
  }
  console.log('— non-blocking connect to a local listener —');
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  try {
    const { port: listening } = listener.address as { port: number };
    await nonBlockingConnect({ host: '127.0.0.1', port: listening });
  } finally {
    await listener.close();
  }
  console.log(`— connect with a ${seconds} s timeout to a server that never accepts —`);
  await timeoutDemo(seconds);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
