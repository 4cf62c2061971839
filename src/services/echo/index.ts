/**
 * echo (RFC 862), over TCP and UDP: sends back whatever it receives.
 *
 * - TCP: every byte read is written back, in order, until the client closes its side;
 *   then the server closes too. Reading pauses while the client is not reading its
 *   echo (backpressure), so a client that only sends cannot fill our memory.
 *   A graceful shutdown does not stop echo early: a connection is done only when the
 *   client half-closed and its whole echo was flushed. Echo has no request boundary, so
 *   the server cannot tell a finished client from one that paused (or one whose bytes it
 *   stopped reading because its own writes are backed up); a connection still open at
 *   the drain timeout is reset by the server, and the client sees an error, never a
 *   clean end after a partial echo.
 * - UDP: each datagram is answered with an identical one, empty datagrams included.
 *
 * @see https://www.rfc-editor.org/rfc/rfc862
 * @example
 * ```sh
 * socketkit serve echo --port 7007
 * nc 127.0.0.1 7007
 * ```
 * @module
 */
import { fromSystemError, SocketClosedError } from '../../errors.js';
import type { DatagramHandler, PeerAddress, StreamHandler } from '../../server/handler-types.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { ServiceDefinition } from '../service.js';

/** Resolves when `raw` can take more writes, or is gone. */
function writable(raw: Socket['raw']): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
}

/**
 * The general path: chunks from the socket's own iterator (used when something already
 * read from `conn`, so its receive buffer owns the bytes).
 */
async function echoBuffered(conn: Socket): Promise<void> {
  const raw = conn.raw;
  for await (const chunk of conn) {
    if (!raw.writable) break;
    if (!raw.write(chunk)) await writable(raw);
  }
}

/**
 * The fast path, what `socket.pipe(socket)` does: a synchronous `'data'` → `write()` on
 * the `net.Socket`, pausing the read side while `write()` says the kernel buffer is full
 * and resuming on `'drain'` — no promise, no copy, no queue per chunk. The socketkit
 * `Socket` never started reading (it reads lazily), so nothing else sees the bytes. Byte
 * counts, the idle timeout and the connection limit live on the server and the
 * `net.Socket`, so they hold as usual.
 */
function echoDirect(conn: Socket, remote: PeerAddress): Promise<void> {
  const raw = conn.raw;
  return new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      if (!raw.writable) {
        finish();
        return;
      }
      if (!raw.write(chunk)) raw.pause();
    };
    const onDrain = (): void => {
      raw.resume();
    };
    const onEnd = (): void => finish();
    const where =
      remote.family === 'unix'
        ? { path: remote.path }
        : { address: remote.address, port: remote.port };
    // Closed under us (idle timeout, shutdown's drain timeout): say so, as a read would.
    const onClose = (): void =>
      finish(conn.closed ? new SocketClosedError('recv', where) : undefined);
    const onError = (err: Error): void =>
      finish(fromSystemError(err, { ...where, syscall: 'recv' }));
    function finish(error?: Error): void {
      raw.off('data', onData);
      raw.off('drain', onDrain);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onError);
      if (error !== undefined) reject(error);
      else resolve();
    }
    raw.on('end', onEnd);
    raw.on('close', onClose);
    raw.on('error', onError);
    raw.on('drain', onDrain);
    // Last: attaching 'data' starts the flow (bytes already buffered come at once).
    raw.on('data', onData);
    if (raw.isPaused()) raw.resume();
  });
}

/**
 * The TCP side: the direct path when the connection is fresh (the usual case under
 * `socketkit serve`), else the buffered one. Either way every byte read is written back,
 * in order, and reading waits while the client is not taking its echo.
 */
export const echoStream: StreamHandler = (conn, ctx) => {
  // Not an async function: returning the path's promise keeps no suspended frame per
  // connection (about 250 B each with 10,000 idle clients).
  const raw = conn.raw;
  if (raw.destroyed) return Promise.resolve();
  const fresh = conn.receivedAmount === 0 && raw.listenerCount('data') === 0;
  return fresh ? echoDirect(conn, ctx.remote) : echoBuffered(conn);
};

/**
 * The UDP side: the datagram itself is the reply. Sent with `ctx.send()`: nothing is left
 * to do after it, so the handler returns no promise and the server runs it with none (a
 * failed send still reaches `handleError`, phase `reply`).
 */
export const echoDatagram: DatagramHandler = (packet, ctx) => ctx.send(packet);

/** The echo service for `socketkit serve`. */
export const echoService: ServiceDefinition = {
  name: 'echo',
  description: 'echo: sends back everything it receives',
  rfc: 'RFC 862',
  defaultPort: 7007,
  transports: ['tcp', 'udp'],
  ignorePrivilegedPorts: true,
  create: () => ({ stream: echoStream, datagram: echoDatagram }),
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `socketkit connect ${host} ${port}`
      : `socketkit connect -u ${host} ${port}`,
};
