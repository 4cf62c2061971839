/**
 * A one-shot SNTP client (RFC 4330 §5): send a mode-3 request, check the reply, and
 * compute the clock offset and round-trip delay from the four timestamps:
 *
 * ```
 *   offset = ((T2 - T1) + (T3 - T4)) / 2      delay = (T4 - T1) - (T3 - T2)
 * ```
 * T1/T4 are our send/receive times, T2/T3 the server's receive/transmit times.
 * @module
 */
import { randomInt } from 'node:crypto';
import { HrClock } from '../../internal/clock.js';
import {
  decodeNtpPacket,
  encodeNtpPacket,
  formatReferenceId,
  LeapIndicator,
  type LeapIndicatorValue,
  NTP_PACKET_SIZE,
  NtpMode,
} from './packet.js';
import { ntpToUnixNanos, unixNanosToNtp } from './timestamp.js';
import { udpExchange } from './udp-exchange.js';

/** Options of {@link querySntp}. */
export interface SntpQueryOptions {
  /** UDP port. Default 123. */
  port?: number;
  /** Seconds to wait. Default 5. */
  timeout?: number;
  /** NTP version to send, 3 or 4. Default 4. */
  version?: 3 | 4;
  signal?: AbortSignal;
}

/** What a server said, and what it means for our clock. */
export interface SntpResult {
  /** Server address queried. */
  address: string;
  /** Seconds to add to our clock to match the server's. */
  offset: number;
  /** Round-trip delay in seconds (network only: the server's own time is subtracted). */
  delay: number;
  stratum: number;
  /** Reference id as `sntp` shows it: ASCII for stratum 0/1, dotted IPv4 above. */
  refId: string;
  leap: LeapIndicatorValue;
  version: number;
  precision: number;
  rootDelay: number;
  rootDispersion: number;
  /** The server's transmit time (T3), Unix ms. */
  serverTimeMs: number;
  /** The same, Unix ns. */
  serverTimeNs: bigint;
  /** Set when the reply is a Kiss-o'-Death (stratum 0): the kiss code, e.g. `RATE`. */
  kissCode?: string;
  /** Why the reply is unusable for time, if it is (KoD, unsynchronized, zero timestamps). */
  problem?: string;
}

/**
 * Queries an SNTP/NTP server once.
 * @throws {SocketTimeoutError} when no matching reply arrives in time.
 * @throws {HostNotFoundError} when the host does not resolve.
 * @example
 * ```ts
 * const r = await querySntp('127.0.0.1', { port: 7124 });
 * console.log(`${r.offset.toFixed(6)} s ±${r.delay / 2}`);
 * ```
 */
export async function querySntp(host: string, options: SntpQueryOptions = {}): Promise<SntpResult> {
  const clock = new HrClock();
  const version = options.version ?? 4;
  let t1 = 0n;
  let t1Hr = 0n;
  let t1Wire = 0n;
  const { reply, receivedAt, address } = await udpExchange(
    host,
    options.port ?? 123,
    Buffer.alloc(0),
    {
      timeout: options.timeout,
      signal: options.signal,
      beforeSend: () => {
        t1 = clock.now();
        t1Hr = process.hrtime.bigint();
        // Random low bits make our T1 unguessable: a reply must echo it to be accepted.
        t1Wire = (unixNanosToNtp(t1) & ~0xffffn) | BigInt(randomInt(0x10000));
        return encodeNtpPacket({
          leap: LeapIndicator.none,
          version,
          mode: NtpMode.client,
          stratum: 0,
          poll: 0,
          precision: 0,
          rootDelay: 0,
          rootDispersion: 0,
          referenceId: Buffer.alloc(4),
          referenceTimestamp: 0n,
          originTimestamp: 0n,
          receiveTimestamp: 0n,
          transmitTimestamp: t1Wire,
        });
      },
      // RFC 4330 §5: a reply whose origin timestamp is not our transmit timestamp is bogus.
      accept: (msg) => msg.length >= NTP_PACKET_SIZE && msg.readBigUInt64BE(24) === t1Wire,
    },
  );
  // T4 = T1 + the monotonic time the exchange took: immune to clock steps in between.
  const t4 = t1 + (receivedAt - t1Hr);
  const packet = decodeNtpPacket(reply);
  const t2 = ntpToUnixNanos(packet.receiveTimestamp, t1);
  const t3 = ntpToUnixNanos(packet.transmitTimestamp, t1);
  const offsetNs = (t2 - t1 + (t3 - t4)) / 2n;
  const delayNs = t4 - t1 - (t3 - t2);
  const result: SntpResult = {
    address,
    offset: Number(offsetNs) / 1e9,
    delay: Number(delayNs) / 1e9,
    stratum: packet.stratum,
    refId: formatReferenceId(packet.referenceId, packet.stratum),
    leap: packet.leap,
    version: packet.version,
    precision: packet.precision,
    rootDelay: packet.rootDelay,
    rootDispersion: packet.rootDispersion,
    serverTimeMs: Number(t3 / 1_000_000n),
    serverTimeNs: t3,
  };
  if (packet.stratum === 0) {
    result.kissCode = formatReferenceId(packet.referenceId, 0);
    result.problem = `Kiss-o'-Death ${result.kissCode}`;
  } else if (packet.mode !== NtpMode.server && packet.mode !== NtpMode.broadcast) {
    result.problem = `unexpected mode ${packet.mode}`;
  } else if (packet.leap === LeapIndicator.unsynchronized || packet.stratum > 15) {
    result.problem = 'server clock not synchronized';
  } else if (packet.transmitTimestamp === 0n || packet.receiveTimestamp === 0n) {
    result.problem = 'zero timestamp in reply';
  }
  return result;
}
