/**
 * daytime (RFC 867), over TCP and UDP: the current date and time as one human-readable
 * line, `Sunday, November 22, 2026 04:30:00-UTC` + CRLF (see `format.ts`).
 *
 * - TCP: sends the line as soon as the client connects, then closes.
 * - UDP: answers any datagram (its content is ignored) with the line.
 *
 * @see https://www.rfc-editor.org/rfc/rfc867
 * @example
 * ```sh
 * socketkit serve daytime --port 7013
 * nc 127.0.0.1 7013
 * ```
 * @module
 */
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import { sendAndClose } from '../send-and-close.js';
import type { ServiceDefinition } from '../service.js';
import { formatDaytime } from './format.js';

export { DAYTIME_PATTERN, formatDaytime } from './format.js';

/** The TCP side: one line, then close (without losing it: see `sendAndClose`). */
export const daytimeStream: StreamHandler = async (conn, ctx) => {
  await sendAndClose(conn, formatDaytime(new Date()), ctx);
};

/** The UDP side: one line in reply to any datagram, empty ones included. */
export const daytimeDatagram: DatagramHandler = async (_packet, ctx) => {
  await ctx.reply(formatDaytime(new Date()));
};

/** The daytime service for `socketkit serve`. */
export const daytimeService: ServiceDefinition = {
  name: 'daytime',
  description: 'daytime: the date and time as one line of text (UTC)',
  rfc: 'RFC 867',
  defaultPort: 7013,
  transports: ['tcp', 'udp'],
  ignorePrivilegedPorts: true,
  create: () => ({ stream: daytimeStream, datagram: daytimeDatagram }),
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `socketkit connect ${host} ${port}`
      : `echo | socketkit connect -u -i 1 ${host} ${port}`,
};
