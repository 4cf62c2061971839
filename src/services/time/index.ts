/**
 * time (RFC 868), over TCP and UDP: the current time as 4 bytes, the seconds since
 * 1900-01-01 UTC, big-endian (mod 2^32 after 2036-02-07: see `rfc868.ts`).
 *
 * - TCP: sends the 4 bytes as soon as the client connects, then closes.
 * - UDP: answers any datagram (its content is ignored) with the 4 bytes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc868
 * @example
 * ```sh
 * socketkit serve time --port 7037
 * nc 127.0.0.1 7037 | od -An -tu1
 * ```
 * @module
 */
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import { sendAndClose } from '../send-and-close.js';
import type { ServiceDefinition } from '../service.js';
import { encodeRfc868 } from './rfc868.js';

export {
  encodeRfc868,
  fromRfc868Seconds,
  RFC868_EPOCH_OFFSET,
  RFC868_ERA_SECONDS,
  toRfc868Seconds,
} from './rfc868.js';

/** The TCP side: 4 bytes, then close (without losing it: see `sendAndClose`). */
export const timeStream: StreamHandler = async (conn, ctx) => {
  await sendAndClose(conn, encodeRfc868(new Date()), ctx);
};

/** The UDP side: 4 bytes in reply to any datagram, empty ones included. */
export const timeDatagram: DatagramHandler = async (_packet, ctx) => {
  await ctx.reply(encodeRfc868(new Date()));
};

/** The time service for `socketkit serve`. */
export const timeService: ServiceDefinition = {
  name: 'time',
  description: 'time: seconds since 1900 as 4 big-endian bytes',
  rfc: 'RFC 868',
  defaultPort: 7037,
  transports: ['tcp', 'udp'],
  ignorePrivilegedPorts: true,
  create: () => ({ stream: timeStream, datagram: timeDatagram }),
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `socketkit connect ${host} ${port} | od -An -tu1`
      : `echo | socketkit connect -u -i 1 ${host} ${port} | od -An -tu1`,
};
