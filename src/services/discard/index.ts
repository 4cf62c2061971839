/**
 * discard (RFC 863), over TCP and UDP: reads everything and answers nothing.
 *
 * Useful as a sink when measuring a client's send rate, and as the simplest possible
 * stream handler: read until EOF, keep nothing.
 *
 * @see https://www.rfc-editor.org/rfc/rfc863
 * @example
 * ```sh
 * socketkit serve discard --port 7009
 * head -c 1000000 /dev/zero | nc -N 127.0.0.1 7009
 * ```
 * @module
 */
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import type { ServiceDefinition } from '../service.js';
import { stopWhenQuiet } from '../stop-when-quiet.js';

/** The TCP side: read until the client closes (or the server shuts down), drop it all. */
export const discardStream: StreamHandler = async (conn, ctx) => {
  // On shutdown: stop reading once the client is quiet (at once for an idle one).
  const disarm = stopWhenQuiet(conn, ctx.signal);
  try {
    for await (const _chunk of conn) {
      // RFC 863: "simply throws away any data it receives".
    }
  } finally {
    disarm();
  }
};

/** The UDP side: "simply throw away any datagram that is received". */
export const discardDatagram: DatagramHandler = () => {};

/** The discard service for `socketkit serve`. */
export const discardService: ServiceDefinition = {
  name: 'discard',
  description: 'discard: reads and drops everything, answers nothing',
  rfc: 'RFC 863',
  defaultPort: 7009,
  transports: ['tcp', 'udp'],
  create: () => ({ stream: discardStream, datagram: discardDatagram }),
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `socketkit connect ${host} ${port}`
      : `socketkit connect -u ${host} ${port}`,
};
