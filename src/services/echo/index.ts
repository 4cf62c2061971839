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
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import type { StreamConnection } from '../../socket/stream-connection.js';
import type { ServiceDefinition } from '../service.js';

/**
 * Writes each chunk back as it came (no copy), and holds reading while the client is not
 * taking its echo: what `socket.pipe(socket)` does. One shared function for every
 * connection: no closure, promise or queue per chunk. It keeps no chunk after it returns
 * except through `write()`, so it can borrow them (`reuseBuffer`).
 */
function echoChunk(chunk: Buffer, conn: StreamConnection): void {
  if (!conn.write(chunk)) conn.pauseUntilDrained();
}

/**
 * The TCP side, in push mode on the connection: bytes a handler before us already read
 * into the socket's buffer come first, then every chunk as it arrives. Settles at the
 * client's EOF (the server then closes gracefully, flushing the echo) or with the
 * connection's error. Not an async function: returning the connection's promise keeps no
 * suspended frame per connection (about 250 B each with 10,000 idle clients).
 */
export const echoStream: StreamHandler = (conn) => conn.onData(echoChunk, ECHO_DATA);

/**
 * A bulk client's bytes are read into one reused buffer per connection instead of a fresh
 * 64 KiB buffer per read (docs/performance.md, "stream"): no allocation per chunk, no
 * page faults when the GC's frees reach glibc.
 */
const ECHO_DATA = { reuseBuffer: true } as const;

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
