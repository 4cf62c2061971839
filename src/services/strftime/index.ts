/**
 * The strftime time service (the tutorials' "UDP time server", seed S7) over UDP and TCP:
 * the request is a `strftime` format, the reply the server's current time in it.
 *
 * ```
 *  UDP:  "%H:%M"  ─────►            one datagram per request, UTF-8
 *                 ◄─────  "04:30"   one datagram per reply (no newline)
 *  TCP:  "%H:%M\n" ────►            one line per request (\n or \r\n)
 *                 ◄─────  "04:30\n" one line per reply
 * ```
 *
 * An empty request means `%F %X` (the seed's default). Semantics are C/Python
 * `strftime` in the C locale (see `time-formatter.ts`), in the server's zone, or the
 * one given with `--tz`/`--utc`. Unlike the seed's server, a bad request cannot crash
 * it: a format longer than `maxFormatLength` bytes, invalid UTF-8, or a reply longer
 * than `maxReplyLength` bytes is answered with one `error: …` line instead. The reply
 * limit defaults to 1024 bytes, the `recvfrom(1024)` buffer of the tutorials' client,
 * so no client of the seed ever silently receives a cut reply. A TCP connection that
 * opens with another protocol's greeting (an HTTP request line, a TLS ClientHello) is
 * closed unanswered (see framing/foreign-protocol.ts).
 * @module
 */
import { CorruptFrameError, ForeignProtocolError, FrameTooLongError } from '../../errors.js';
import { ForeignProtocolGuard } from '../../framing/foreign-protocol.js';
import { LineCodec } from '../../framing/line.js';
import type { DatagramHandler, StreamHandler } from '../../server/handler-types.js';
import type { ServiceDefinition, ServiceOption } from '../service.js';
import { stopWhenQuiet } from '../stop-when-quiet.js';
import { checkInteger } from '../../internal/check-option.js';
import { HrClock } from '../../internal/clock.js';
import { integerOption } from '../number-option.js';
import { TimeFormatter } from './time-formatter.js';

export { MAX_FIELD_WIDTH, TimeFormatter, type TimeFormatterOptions } from './time-formatter.js';
export { zoneAbbreviation } from './zone-abbreviation.js';

/** What an empty request means (the seed's default). */
export const DEFAULT_TIME_FORMAT = '%F %X';
/** The unprivileged port `socketkit serve` gives the strftime service. */
export const STRFTIME_DEFAULT_PORT = 7123;
/** Default longest format accepted, in bytes. */
export const DEFAULT_MAX_FORMAT_LENGTH = 256;
/** Default longest reply, in bytes (the seed client's `recvfrom(1024)`). */
export const DEFAULT_MAX_REPLY_LENGTH = 1024;

/** Options of {@link StrftimeResponder}. */
export interface StrftimeOptions {
  /** IANA time zone; default the server's own. */
  timeZone?: string;
  /** Format in UTC (wins over `timeZone`). */
  utc?: boolean;
  /** Longest format in bytes. Default 256. */
  maxFormatLength?: number;
  /** Longest reply in bytes. Default 1024. */
  maxReplyLength?: number;
  /** Injected for tests: Unix time in ns. */
  now?: () => bigint;
}

/** Turns a request into a reply; shared by the UDP and TCP handlers. */
export class StrftimeResponder {
  readonly formatter: TimeFormatter;
  readonly maxFormatLength: number;
  readonly maxReplyLength: number;
  readonly #now: () => bigint;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  /** @throws {InvalidArgumentError} for an unknown zone or a bad limit. */
  constructor(options: StrftimeOptions = {}) {
    this.formatter = new TimeFormatter({ timeZone: options.timeZone, utc: options.utc });
    this.maxFormatLength = checkLimit(
      'maxFormatLength',
      options.maxFormatLength,
      DEFAULT_MAX_FORMAT_LENGTH,
    );
    this.maxReplyLength = checkLimit(
      'maxReplyLength',
      options.maxReplyLength,
      DEFAULT_MAX_REPLY_LENGTH,
    );
    // A nanosecond clock, so that %f shows real microseconds rather than Date.now()'s ms.
    const clock = options.now === undefined ? new HrClock() : undefined;
    this.#now = options.now ?? (() => (clock as HrClock).now());
  }

  /** The zone replies are in (for `--help` and logs). */
  get timeZone(): string {
    return this.formatter.timeZone;
  }

  /**
   * The reply to one request (raw bytes; one trailing `\n` or `\r\n` is ignored so that
   * `echo %T | nc -u` works). Never throws: problems become an `error: …` reply.
   */
  respond(request: Uint8Array): string {
    let bytes = request;
    if (bytes.at(-1) === 0x0a) bytes = bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1);
    if (bytes.length > this.maxFormatLength) {
      return `error: format is ${bytes.length} bytes, over the ${this.maxFormatLength}-byte limit`;
    }
    let format: string;
    try {
      format = this.#utf8.decode(bytes);
    } catch {
      return 'error: format is not valid UTF-8';
    }
    return this.respondText(format);
  }

  /** The reply to one already-decoded format. Never throws. */
  respondText(format: string): string {
    let reply: string;
    try {
      reply = this.formatter.format(format === '' ? DEFAULT_TIME_FORMAT : format, this.#now());
    } catch (err) {
      return `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    const size = Buffer.byteLength(reply);
    if (size > this.maxReplyLength) {
      return `error: reply would be ${size} bytes, over the ${this.maxReplyLength}-byte limit`;
    }
    return reply;
  }
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  return checkInteger(value ?? fallback, name, 1, 65_507);
}

/**
 * The UDP and TCP handlers of a strftime server.
 * @example
 * ```ts
 * const { datagram } = createStrftimeHandlers({ utc: true });
 * const server = new UdpServer({ host: '127.0.0.1', port: 7123, handler: datagram });
 * ```
 */
export function createStrftimeHandlers(options: StrftimeOptions = {}): {
  datagram: DatagramHandler;
  stream: StreamHandler;
  responder: StrftimeResponder;
} {
  const responder = new StrftimeResponder(options);
  const datagram: DatagramHandler = async (packet, ctx) => {
    // A cut datagram is not the format the client sent: say so rather than guess.
    const reply = ctx.truncated ? 'error: request datagram too large' : responder.respond(packet);
    await ctx.reply(reply);
  };
  const stream: StreamHandler = async (conn, ctx) => {
    // Shutdown: every line received is answered; reading stops between requests, once the
    // client is quiet (nothing arriving, nothing unanswered, no reply waiting to be sent).
    const disarm = stopWhenQuiet(conn, ctx.signal);
    // One codec for the whole connection: after an over-long line it discards up to the
    // next newline, and the loop below carries on with the line after it. The guard
    // closes a connection that opens with an HTTP request or a TLS hello, unanswered.
    const codec = new ForeignProtocolGuard(
      new LineCodec({ maxFrameLength: responder.maxFormatLength, onInvalidUtf8: 'error' }),
    );
    try {
      // Each pass ends at EOF (return) or at one bad line (error reply, next pass). A client
      // that sends nothing but bad lines is let go after 1000 of them.
      for (let errors = 0; errors < 1000; errors++) {
        try {
          for await (const line of conn.frames(codec)) {
            await conn.sendAll(`${responder.respondText(line)}\n`);
          }
          return;
        } catch (err) {
          // Another protocol's greeting (a browser, a scanner's TLS probe): no reply.
          if (err instanceof ForeignProtocolError) return;
          if (err instanceof FrameTooLongError) {
            await conn.sendAll(
              `error: format is over the ${responder.maxFormatLength}-byte limit\n`,
            );
          } else if (err instanceof CorruptFrameError) {
            await conn.sendAll('error: format is not valid UTF-8\n');
          } else {
            throw err;
          }
        }
      }
    } finally {
      disarm();
    }
  };
  return { datagram, stream, responder };
}

function parseZone(raw: string): string {
  return new TimeFormatter({ timeZone: raw }).timeZone;
}

/** The process's own zone, as `--help` states it. */
function systemZone(): string {
  return new TimeFormatter().timeZone;
}

/** The service's options. */
export const strftimeOptions: readonly ServiceOption[] = [
  {
    flags: '--tz <zone>',
    key: 'tz',
    description: `IANA time zone of the replies (default: this host's, now ${systemZone()})`,
    parse: parseZone,
  },
  {
    flags: '--utc',
    key: 'utc',
    description: 'reply in UTC (wins over --tz)',
    parse: (raw) => raw !== 'false',
  },
  {
    flags: '--max-format-length <bytes>',
    key: 'maxFormatLength',
    defaultValue: DEFAULT_MAX_FORMAT_LENGTH,
    description: 'longest format accepted, longer gets an error reply (default 256)',
    parse: integerOption('max-format-length', 1, 65_507),
  },
  {
    flags: '--max-reply-length <bytes>',
    key: 'maxReplyLength',
    defaultValue: DEFAULT_MAX_REPLY_LENGTH,
    description:
      "longest reply sent, longer gets an error reply (default 1024: the seeds' recvfrom(1024))",
    parse: integerOption('max-reply-length', 1, 65_507),
  },
];

/** The strftime service for `socketkit serve`. */
export const strftimeService: ServiceDefinition = {
  name: 'strftime',
  description: 'strftime time: send a strftime format ("" = %F %X), get the server time in it',
  defaultPort: STRFTIME_DEFAULT_PORT,
  transports: ['tcp', 'udp'],
  ignorePrivilegedPorts: true,
  options: strftimeOptions,
  create(options, env) {
    const { datagram, stream, responder } = createStrftimeHandlers({
      timeZone: typeof options.tz === 'string' ? options.tz : undefined,
      utc: options.utc === true || options.utc === 'true',
      maxFormatLength:
        options.maxFormatLength === undefined ? undefined : Number(options.maxFormatLength),
      maxReplyLength:
        options.maxReplyLength === undefined ? undefined : Number(options.maxReplyLength),
    });
    env.log('info', `strftime: replies in time zone ${responder.timeZone}`, {
      timeZone: responder.timeZone,
      maxFormatLength: responder.maxFormatLength,
      maxReplyLength: responder.maxReplyLength,
    });
    return { datagram, stream };
  },
  // -N: end the request when echo's input ends, so the server answers and closes;
  // over UDP, -w1 stops waiting for more replies after a second (`socketkit time` is the
  // friendlier client, but plain nc works anywhere, Unix datagram sockets included).
  tryIt: (host, port, transport) =>
    transport === 'tcp'
      ? `echo '%F %T' | socketkit connect ${host} ${port}`
      : `echo '%F %T' | socketkit connect -u -i 1 ${host} ${port}`,
};
