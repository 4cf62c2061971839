/**
 * echo (RFC 862), over TCP and UDP: sends back whatever it receives.
 *
 * - TCP: every byte read is written back, in order, until the client closes its side;
 *   then the server closes too. Reading pauses while the client is not reading its
 *   echo (backpressure), so a client that only sends cannot fill our memory.
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
import type { Socket } from '../../socket/tcp-socket.js';
import type { ServiceDefinition } from '../service.js';
import { stopWhenQuiet } from '../stop-when-quiet.js';

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
 * The TCP side. The fast path: chunks come from the socket's own iterator (which keeps
 * the receive buffer bounded), and each is written straight to the underlying
 * `net.Socket` — no promise per write; we wait only when the kernel buffer is full
 * (`write()` returned false), which also stops reading until the client catches up.
 * Byte counts, idle timeouts and limits are the server's and see these writes as usual.
 */
export const echoStream: StreamHandler = async (conn, ctx) => {
  const raw = conn.raw;
  // On shutdown: finish what the client is still sending, then stop reading once it is
  // quiet; whatever was read has been written, and the server's close flushes it.
  const disarm = stopWhenQuiet(conn, ctx.signal);
  try {
    for await (const chunk of conn) {
      if (!raw.writable) break;
      if (!raw.write(chunk)) await writable(raw);
    }
  } finally {
    disarm();
  }
};

/** The UDP side: the datagram itself is the reply. */
export const echoDatagram: DatagramHandler = async (packet, ctx) => {
  await ctx.reply(packet);
};

/** The echo service for `socketkit serve`. */
export const echoService: ServiceDefinition = {
  name: 'echo',
  description: 'echo: sends back everything it receives',
  rfc: 'RFC 862',
  defaultPort: 7007,
  transports: ['tcp', 'udp'],
  create: () => ({ stream: echoStream, datagram: echoDatagram }),
  tryIt: (host, port, transport) =>
    transport === 'tcp' ? `nc ${host} ${port}` : `nc -u ${host} ${port}`,
};
