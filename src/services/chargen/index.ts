/**
 * chargen, the character generator (RFC 864), over TCP and UDP.
 *
 * - TCP: sends the rotating 72-character line pattern until the client closes the
 *   connection. Data is written only as fast as the client reads it: each write of
 *   the pattern waits for the socket to drain (`sendAll`), so a slow reader costs
 *   one kernel buffer, never unbounded memory. Anything the client sends is read
 *   and thrown away, as the RFC says.
 * - UDP: each datagram, whatever it holds, is answered with a random number
 *   (0 … 512) of pattern characters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc864
 * @example
 * ```sh
 * socketkit serve chargen --port 7019
 * nc 127.0.0.1 7019 | head -n 5
 * ```
 * @module
 */
import { randomInt } from 'node:crypto';
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { ServiceDefinition } from '../service.js';
import {
  CHARGEN_MAX_DATAGRAM,
  CHARGEN_RING_SIZE,
  chargenCycle,
  chargenDatagram,
} from './pattern.js';

export {
  CHARGEN_LINE_BYTES,
  CHARGEN_LINE_WIDTH,
  CHARGEN_MAX_DATAGRAM,
  CHARGEN_RING_SIZE,
  chargenCycle,
  chargenDatagram,
  chargenLine,
} from './pattern.js';

/** Errors that only mean "the client went away": the normal end of a chargen session. */
const PEER_GONE = new Set([
  'ERR_CONNECTION_RESET',
  'ERR_SOCKET_CLOSED',
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
]);

function peerGone(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  return PEER_GONE.has(String(code)) || PEER_GONE.has(String(errno));
}

/** Reads and drops whatever the client sends, so its writes never stall; never throws. */
async function drainInput(conn: Socket): Promise<void> {
  try {
    for await (const _chunk of conn) {
      // RFC 864: "Data received may be thrown away without any notice."
    }
  } catch {
    // The client reset the connection: the write loop sees it too and ends the session.
  }
}

/** The TCP side: the pattern, paced by the client's reading. */
export const chargenStream: StreamHandler = async (conn, ctx) => {
  const cycle = chargenCycle();
  // Not awaited: it ends by itself when the server closes the socket after we return.
  void drainInput(conn);
  try {
    while (!ctx.signal.aborted && !conn.closed) await conn.sendAll(cycle);
  } catch (err) {
    if (!peerGone(err) && !conn.closed) throw err;
  }
};

/** Builds the UDP side; each server gets its own rotation, so replies walk the pattern. */
export function createChargenDatagram(): DatagramHandler {
  let line = 0;
  return async (_packet, ctx) => {
    const reply = chargenDatagram(randomInt(0, CHARGEN_MAX_DATAGRAM + 1), line);
    line = (line + 1) % CHARGEN_RING_SIZE;
    await ctx.reply(reply);
  };
}

/** The chargen service for `socketkit serve`. */
export const chargenService: ServiceDefinition = {
  name: 'chargen',
  description:
    'character generator: endless 72-character lines over TCP, 0-512 characters per UDP reply',
  rfc: 'RFC 864',
  defaultPort: 7019,
  transports: ['tcp', 'udp'],
  ignorePrivilegedPorts: true,
  create: () => ({ stream: chargenStream, datagram: createChargenDatagram() }),
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `socketkit connect --recv-only ${host} ${port} | head -n 5`
      : `echo | socketkit connect -u -i 1 ${host} ${port}`,
};
