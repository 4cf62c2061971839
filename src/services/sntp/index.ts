/**
 * The SNTP service (RFC 4330, server mode of RFC 5905) for `socketkit serve sntp`:
 * answers NTP client (mode 3) requests over UDP with server (mode 4) replies stamped by
 * a nanosecond clock, with a per-client rate limit (Kiss-o'-Death `RATE`). Allow/deny
 * lists are the server's (`serve sntp --allow 10.0.0.0/8 --deny 10.0.0.66`). Anything
 * that is not a well-formed client request is dropped silently: an answer to a forged
 * or looping packet would make the server a reflector. Documented in docs/time.md.
 * @module
 */
import { clientKey } from '../../server/address-limits.js';
import { InvalidArgumentError } from '../../errors.js';
import type { DatagramContext, DatagramHandler } from '../../server/handler-types.js';
import { integerOption, numberOption } from '../number-option.js';
import type { ServiceDefinition, ServiceEnv, ServiceOption } from '../service.js';
import { type Clock, HrClock } from '../../internal/clock.js';
import { LeapIndicator, type LeapIndicatorValue } from './packet.js';
import { SntpResponder, type SntpResponderOptions } from './sntp-responder.js';

export { type Clock, FakeClock, HrClock } from '../../internal/clock.js';
export {
  decodeNtpPacket,
  encodeNtpPacket,
  formatReferenceId,
  LeapIndicator,
  type LeapIndicatorValue,
  NTP_PACKET_SIZE,
  NtpMode,
  type NtpPacket,
  referenceIdFromCode,
} from './packet.js';
export {
  RateLimiter,
  type RateLimiterOptions,
  type RateVerdict,
} from '../../internal/rate-limiter.js';
export {
  kissOfDeath,
  sntpDropChannel,
  type SntpDropReason,
  sntpKissChannel,
  SntpResponder,
  type SntpResponderOptions,
  type SntpStats,
} from './sntp-responder.js';
export {
  fillLowBits,
  NTP_ERA1_UNIX_MS,
  NTP_ERA_SECONDS,
  NTP_UNIX_OFFSET_SECONDS,
  ntpToUnixNanos,
  ntpToUnixSeconds,
  unixNanosToNtp,
} from './timestamp.js';

/** The unprivileged port `socketkit serve` gives SNTP (the real one is 123). */
export const SNTP_DEFAULT_PORT = 7124;

/** Parses `--leap`: 0–3 or `none`, `insert`, `delete`, `unsync`. */
export function parseLeap(raw: string): LeapIndicatorValue {
  const names: Record<string, LeapIndicatorValue> = {
    none: LeapIndicator.none,
    insert: LeapIndicator.insert,
    delete: LeapIndicator.delete,
    unsync: LeapIndicator.unsynchronized,
    unsynchronized: LeapIndicator.unsynchronized,
  };
  const byName = names[raw.toLowerCase()];
  if (byName !== undefined) return byName;
  if (/^[0-3]$/.test(raw)) return Number(raw) as LeapIndicatorValue;
  throw new InvalidArgumentError(
    `--leap must be 0-3, none, insert, delete or unsync, got ${JSON.stringify(raw)}`,
  );
}

function parseInstant(raw: string): number {
  const ms = Date.parse(raw);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(`--leap-at must be an ISO date, got ${JSON.stringify(raw)}`);
  return ms;
}

/** The service's options (flags of `socketkit serve sntp`, keys of `serve --config`). */
export const sntpOptions: readonly ServiceOption[] = [
  {
    flags: '--stratum <n>',
    key: 'stratum',
    defaultValue: 1,
    description: 'stratum to announce, 1-15 (default 1: a primary server on its own clock)',
    parse: integerOption('stratum', 1, 15),
  },
  {
    flags: '--refid <code>',
    key: 'refid',
    defaultValue: 'LOCL',
    description: 'reference id, up to 4 ASCII characters (default LOCL: local clock)',
  },
  {
    flags: '--precision <log2s>',
    key: 'precision',
    defaultValue: -20,
    description: 'clock precision as log2 seconds (default -20 ≈ 1 µs)',
    parse: integerOption('precision', -32, 0),
  },
  {
    flags: '--leap <li>',
    key: 'leap',
    defaultValue: 0,
    description: 'leap indicator: 0/none (default), 1/insert, 2/delete, 3/unsync',
    parse: parseLeap,
  },
  {
    flags: '--leap-at <iso-date>',
    key: 'leapAt',
    description:
      'with --leap insert/delete: the UTC month start the leap second ends at (announced only during the month before)',
    parse: parseInstant,
  },
  {
    flags: '--root-dispersion <s>',
    key: 'rootDispersion',
    defaultValue: 0.001,
    description: 'root dispersion in seconds (default 0.001)',
    parse: numberOption('root-dispersion', 0, 65535),
  },
  {
    flags: '--rate <n>',
    key: 'rate',
    defaultValue: 1,
    description: "requests per second allowed per client IP, then Kiss-o'-Death RATE (default 1)",
    parse: numberOption('rate', 0.001, 1e6),
  },
  {
    flags: '--burst <n>',
    key: 'burst',
    defaultValue: 8,
    description: 'requests a client may send back to back (default 8)',
    parse: integerOption('burst', 1, 1e6),
  },
  {
    flags: '--rate-table-size <n>',
    key: 'rateTableSize',
    defaultValue: 10_000,
    description: 'clients the rate limiter remembers, least recent forgotten first (default 10000)',
    parse: integerOption('rate-table-size', 1, 1e7),
  },
];

/** Maps the superserver's parsed option bag to responder options. */
export function responderOptionsFrom(options: Record<string, unknown>): SntpResponderOptions {
  const num = (key: string): number | undefined => {
    const v = options[key];
    if (v === undefined) return undefined;
    return typeof v === 'number' ? v : Number(v);
  };
  const leapRaw = options.leap;
  const leapAtRaw = options.leapAt;
  return {
    stratum: num('stratum'),
    refId: options.refid === undefined ? undefined : String(options.refid),
    precision: num('precision'),
    leap: leapRaw === undefined ? undefined : parseLeap(String(leapRaw)),
    leapAt:
      leapAtRaw === undefined
        ? undefined
        : typeof leapAtRaw === 'number'
          ? leapAtRaw
          : parseInstant(String(leapAtRaw)),
    rootDispersion: num('rootDispersion'),
    rate: num('rate'),
    burst: num('burst'),
    maxClients: num('rateTableSize'),
  };
}

/**
 * Builds the datagram handler of an SNTP server.
 * @param clock the time source (default: a new {@link HrClock}).
 * @example
 * ```ts
 * const { handler } = createSntpHandler({ stratum: 2, refId: 'GPS' });
 * const server = new UdpServer({ host: '127.0.0.1', port: 7124, handler });
 * ```
 */
export function createSntpHandler(
  options: SntpResponderOptions = {},
  clock: Clock = new HrClock(),
): { handler: DatagramHandler; responder: SntpResponder } {
  const responder = new SntpResponder(clock, options);
  const handler = async (packet: Buffer, ctx: DatagramContext): Promise<void> => {
    // T2 first: everything after this line is server-side latency the client must not see.
    const received = clock.now();
    // The rate limit is per client: its IPv4 address, IPv6 /64, or Unix socket path.
    const reply = responder.respond(packet, clientKey(ctx.remote), received);
    if (reply !== null) await ctx.reply(reply);
  };
  return { handler, responder };
}

/** The service definition for the superserver. */
export const sntpService: ServiceDefinition = {
  name: 'sntp',
  description:
    "SNTP/NTP server: answers NTP clients (chronyd, ntpdig, sntp) from this host's clock",
  rfc: 'RFC 4330, RFC 5905',
  defaultPort: SNTP_DEFAULT_PORT,
  transports: ['udp'],
  options: sntpOptions,
  create(options: Record<string, unknown>, env: ServiceEnv) {
    const { handler, responder } = createSntpHandler(responderOptionsFrom(options));
    const refid = responder.refId.toString('latin1').replace(/\0+$/, '');
    env.log(
      'info',
      `sntp: serving this host's clock as stratum ${responder.stratum}, refid ${refid}, ` +
        `precision 2^${responder.precision} s, leap ${responder.leap}; ` +
        `rate limit ${responder.limiter.rate}/s, burst ${responder.limiter.burst} per client`,
      {
        stratum: responder.stratum,
        refid,
        precision: responder.precision,
        leap: responder.leap,
        rate: responder.limiter.rate,
        burst: responder.limiter.burst,
      },
    );
    return {
      datagram: handler,
      async close() {
        const { answered, kissed, dropped } = responder.stats;
        const drops = Object.values(dropped).reduce((a, b) => a + b, 0);
        env.log(
          'info',
          `sntp: stopped after ${answered} replies, ${kissed} RATE kisses, ${drops} drops`,
          {
            answered,
            kissed,
            ...dropped,
          },
        );
        responder.limiter.clear();
      },
    };
  },
  tryIt: (host, port) => `socketkit sntp ${host} --port ${port}`,
  // NTP clients speak UDP only: over a Unix datagram socket, send a bare 48-byte client
  // request (LI 0, version 4, mode 3 = 0x23) by hand and show the reply's bytes.
  tryItUnix: (path) =>
    `{ printf '\\043'; head -c 47 /dev/zero; } | socketkit connect -u -i 1 -U ${path} | od -An -tu1`,
};
