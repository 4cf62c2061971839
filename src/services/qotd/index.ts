/**
 * qotd, the Quote of the Day (RFC 865), over TCP and UDP: one short message.
 *
 * - TCP: sends the message as soon as the client connects, then closes. With
 *   `--message "welcome to server!"` this is the tutorials' welcome server (S3).
 * - UDP: answers any datagram (its content is ignored) with the message.
 *
 * The message is sent as UTF-8 followed by CRLF (unless it already ends with a line
 * break), and must stay under 512 bytes in all, as RFC 865 asks, so it always fits
 * in one datagram.
 *
 * @see https://www.rfc-editor.org/rfc/rfc865
 * @example
 * ```sh
 * socketkit serve qotd --port 7017 --message "welcome to server!"
 * nc 127.0.0.1 7017
 * ```
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import { sendAndClose } from '../send-and-close.js';
import type { ServiceDefinition } from '../service.js';

/** The quote served when no `--message` is given. */
export const DEFAULT_QUOTE = '"Simple is better than complex." - The Zen of Python';
/** RFC 865: "the quote may be just one or up to several lines, but it should be less than 512 characters". */
export const QOTD_MAX_BYTES = 511;

/**
 * The bytes sent for `message`: UTF-8, CRLF appended unless it ends with a line break.
 * @throws {InvalidArgumentError} when the result would be 512 bytes or more.
 */
export function encodeQuote(message: string): Buffer {
  const text = /\n$/.test(message) ? message : `${message}\r\n`;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > QOTD_MAX_BYTES) {
    throw new InvalidArgumentError(
      `qotd message is ${bytes.length} bytes with its line end; RFC 865 asks for less than 512`,
    );
  }
  return bytes;
}

/** A TCP handler that sends `quote` and lets the server close the connection. */
export function createQotdStream(quote: Buffer): StreamHandler {
  return async (conn, ctx) => {
    await sendAndClose(conn, quote, ctx);
  };
}

/** A UDP handler that answers every datagram with `quote`. */
export function createQotdDatagram(quote: Buffer): DatagramHandler {
  return async (_packet, ctx) => {
    await ctx.reply(quote);
  };
}

/** The qotd service for `socketkit serve` (option: `--message`). */
export const qotdService: ServiceDefinition = {
  name: 'qotd',
  description: 'quote of the day: one short message, then close (the welcome server)',
  rfc: 'RFC 865',
  defaultPort: 7017,
  transports: ['tcp', 'udp'],
  ignorePrivilegedPorts: true,
  options: [
    {
      flags: '--message <text>',
      key: 'message',
      description: 'the message to send (qotd; < 512 bytes)',
      defaultValue: DEFAULT_QUOTE,
      parse: (raw) => {
        encodeQuote(raw);
        return raw;
      },
    },
  ],
  create: (options) => {
    const quote = encodeQuote(
      typeof options.message === 'string' ? options.message : DEFAULT_QUOTE,
    );
    return { stream: createQotdStream(quote), datagram: createQotdDatagram(quote) };
  },
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `socketkit connect ${host} ${port}`
      : `echo | socketkit connect -u -i 1 ${host} ${port}`,
};
