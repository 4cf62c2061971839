/**
 * The SNTP server's decision logic, with no I/O: given a request datagram, its arrival
 * time and the sender's address, produce the reply bytes or nothing (RFC 5905 §9–§15
 * server mode, RFC 4330 §5). Allow/deny lists are the server's (`UdpServer({ allow, deny })`,
 * `socketkit serve sntp --allow 10.0.0.0/8`): a refused client never reaches this code.
 *
 * Default identity: stratum 1, reference id `LOCL`. RFC 4330 §4 lists `LOCL` as the
 * reference id of "an uncalibrated local clock used as a primary reference for a subnet
 * without external means of synchronization", which is exactly a server that trusts its
 * own system clock; a stratum above 1 would have to name an upstream server's address
 * as its reference id, and we have none. If real NTP servers also serve your clients,
 * start with `--stratum 10` so this one never outranks them.
 * @module
 */
import { randomInt } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { InvalidArgumentError } from '../../errors.js';
import type { Clock } from '../../internal/clock.js';
import {
  decodeNtpPacket,
  encodeNtpPacket,
  LeapIndicator,
  type LeapIndicatorValue,
  NTP_PACKET_SIZE,
  NtpMode,
  type NtpPacket,
  referenceIdFromCode,
} from './packet.js';
import { RateLimiter } from '../../internal/rate-limiter.js';
import { fillLowBits, unixNanosToNtp } from './timestamp.js';

/** Published when a datagram is dropped: `{ remote, reason }`. */
export const sntpDropChannel = channel('socketkit:sntp:drop');
/** Published when a Kiss-o'-Death is sent: `{ remote, code }`. */
export const sntpKissChannel = channel('socketkit:sntp:kiss');

/** The server's configuration; every field has a safe default. */
export interface SntpResponderOptions {
  /** 1–15. Default 1 (see the module comment). */
  stratum?: number;
  /** Reference id: up to 4 ASCII characters. Default `LOCL`. */
  refId?: string;
  /** log2 seconds of the clock's precision, -32…0. Default -20 (≈ 1 µs). */
  precision?: number;
  /** Leap indicator to announce, 0–3. Default 0 (no warning). */
  leap?: LeapIndicatorValue;
  /**
   * With leap 1 or 2: the UTC instant the leap second ends (the first instant of a
   * month, Unix ms). The warning is announced only during the month before it, and
   * not after it (RFC 5905 §7.3: "in the last minute of the current month").
   */
  leapAt?: number;
  /** Root delay in seconds. Default 0 (we are the reference). */
  rootDelay?: number;
  /** Root dispersion in seconds. Default 0.001. */
  rootDispersion?: number;
  /** Requests per second per client. Default 1. */
  rate?: number;
  /** Burst per client. Default 8. */
  burst?: number;
  /** Clients tracked by the rate limiter. Default 10 000. */
  maxClients?: number;
  /** Fills timestamp bits below the precision with random bits (RFC 5905 §6). Default true. */
  randomizeLowBits?: boolean;
  /** Injected for tests. */
  randomBits?: () => number;
  /** Injected for tests: the rate limiter's clock in ms. */
  limiterNowMs?: () => number;
}

/** Why a datagram got no answer. */
export type SntpDropReason = 'malformed' | 'not-a-client-request' | 'bad-version' | 'rate';

/** Counters, for logs and tests. */
export interface SntpStats {
  answered: number;
  kissed: number;
  dropped: Record<SntpDropReason, number>;
}

/** See the module comment. */
export class SntpResponder {
  readonly stratum: number;
  readonly refId: Buffer;
  readonly precision: number;
  readonly leap: LeapIndicatorValue;
  readonly leapAt: number | undefined;
  readonly rootDelay: number;
  readonly rootDispersion: number;
  readonly limiter: RateLimiter;
  readonly stats: SntpStats = {
    answered: 0,
    kissed: 0,
    dropped: { malformed: 0, 'not-a-client-request': 0, 'bad-version': 0, rate: 0 },
  };
  readonly #clock: Clock;
  readonly #randomBits: (() => number) | undefined;

  /** @throws {InvalidArgumentError} for an out-of-range option. */
  constructor(clock: Clock, options: SntpResponderOptions = {}) {
    this.#clock = clock;
    this.stratum = options.stratum ?? 1;
    if (!Number.isInteger(this.stratum) || this.stratum < 1 || this.stratum > 15) {
      throw new InvalidArgumentError(`stratum must be an integer in [1, 15], got ${this.stratum}`);
    }
    this.refId = referenceIdFromCode(options.refId ?? 'LOCL');
    this.precision = options.precision ?? -20;
    if (!Number.isInteger(this.precision) || this.precision < -32 || this.precision > 0) {
      throw new InvalidArgumentError(
        `precision must be an integer in [-32, 0], got ${this.precision}`,
      );
    }
    this.leap = options.leap ?? LeapIndicator.none;
    this.leapAt = options.leapAt;
    this.rootDelay = options.rootDelay ?? 0;
    this.rootDispersion = options.rootDispersion ?? 0.001;
    for (const [name, v] of [
      ['rootDelay', this.rootDelay],
      ['rootDispersion', this.rootDispersion],
    ] as const) {
      if (!(v >= 0 && v < 65536))
        throw new InvalidArgumentError(`${name} must be in [0, 65536) s, got ${v}`);
    }
    this.limiter = new RateLimiter({
      rate: options.rate,
      burst: options.burst,
      maxEntries: options.maxClients,
      nowMs: options.limiterNowMs,
    });
    this.#randomBits =
      options.randomizeLowBits === false
        ? undefined
        : (options.randomBits ?? (() => randomInt(2 ** 32)));
  }

  /**
   * Answers one datagram.
   * @param data the request bytes.
   * @param remoteAddress the sender's IP address (the rate limit's key).
   * @param receivedNs Unix ns when the datagram arrived (T2); default: now.
   * @returns the reply datagram, or `null` to stay silent.
   */
  respond(data: Uint8Array, remoteAddress: string, receivedNs?: bigint): Buffer | null {
    const rx = receivedNs ?? this.#clock.now();
    if (data.length < NTP_PACKET_SIZE) return this.#drop(remoteAddress, 'malformed');
    const request = decodeNtpPacket(data);
    if (request.mode !== NtpMode.client) return this.#drop(remoteAddress, 'not-a-client-request');
    // Versions 1–4 exist; RFC 5905 §9.2 drops anything else.
    if (request.version < 1 || request.version > 4) return this.#drop(remoteAddress, 'bad-version');

    const verdict = this.limiter.take(remoteAddress);
    if (verdict === 'drop') return this.#drop(remoteAddress, 'rate');
    if (verdict === 'kiss') {
      this.stats.kissed++;
      if (sntpKissChannel.hasSubscribers)
        sntpKissChannel.publish({ remote: remoteAddress, code: 'RATE' });
      return encodeNtpPacket(kissOfDeath(request, 'RATE'));
    }

    const reply: NtpPacket = {
      leap: this.leapAt === undefined ? this.leap : this.#scheduledLeap(rx),
      version: request.version,
      mode: NtpMode.server,
      stratum: this.stratum,
      poll: request.poll,
      precision: this.precision,
      rootDelay: this.rootDelay,
      rootDispersion: this.rootDispersion,
      referenceId: this.refId,
      referenceTimestamp: 0n,
      originTimestamp: request.transmitTimestamp,
      receiveTimestamp: this.#stamp(rx),
      transmitTimestamp: 0n,
    };
    // Reference ≤ receive: a `receivedNs` stamped before the clock's latest re-anchor is
    // itself the reference, and the reference's bits below the precision are zero, not
    // random, so that the order holds on the wire too.
    const reference = this.#clock.referenceTime();
    reply.referenceTimestamp = fillLowBits(
      unixNanosToNtp(reference < rx ? reference : rx),
      this.precision,
      () => 0,
    );
    // T3 as late as possible: just before the bytes are produced. Receive ≤ transmit: the
    // server time T3 - T2 that a client subtracts from its round trip (RFC 4330 §5) cannot
    // be negative. The clock does not run backwards between the two reads (short of a step
    // of the system clock), but two instants closer than the precision get independent
    // random low bits: within the precision they are one instant, so T3 is T2 then.
    // Compared modulo 2^64, so that the two may straddle an era boundary (2036).
    const transmit = this.#stamp(this.#clock.now());
    const behind = BigInt.asIntN(64, transmit - reply.receiveTimestamp) < 0n;
    reply.transmitTimestamp = behind ? reply.receiveTimestamp : transmit;
    this.stats.answered++;
    return encodeNtpPacket(reply);
  }

  /** The leap indicator at `nowNs` when a leap second is scheduled with `leapAt`. */
  #scheduledLeap(nowNs: bigint): LeapIndicatorValue {
    if (this.leap !== LeapIndicator.insert && this.leap !== LeapIndicator.delete) return this.leap;
    const at = this.leapAt ?? 0;
    const nowMs = Number(nowNs / 1_000_000n);
    // The month that ends with the leap second starts at the first of the month of (at - 1 day).
    const last = new Date(at - 86_400_000);
    const monthStart = Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1);
    return nowMs >= monthStart && nowMs < at ? this.leap : LeapIndicator.none;
  }

  #stamp(unixNs: bigint): bigint {
    const ts = unixNanosToNtp(unixNs);
    return this.#randomBits === undefined ? ts : fillLowBits(ts, this.precision, this.#randomBits);
  }

  #drop(remote: string, reason: SntpDropReason): null {
    this.stats.dropped[reason]++;
    if (sntpDropChannel.hasSubscribers) sntpDropChannel.publish({ remote, reason });
    return null;
  }
}

/**
 * A Kiss-o'-Death reply (RFC 5905 §7.4): stratum 0, leap "alarm", the kiss code as
 * reference id. Every timestamp is the client's own transmit timestamp (as ntpd does), so
 * the client can match the reply to its request but cannot mistake it for time.
 */
export function kissOfDeath(request: NtpPacket, code: string): NtpPacket {
  return {
    leap: LeapIndicator.unsynchronized,
    version: request.version,
    mode: NtpMode.server,
    stratum: 0,
    poll: request.poll,
    precision: 0,
    rootDelay: 0,
    rootDispersion: 0,
    referenceId: referenceIdFromCode(code),
    referenceTimestamp: request.transmitTimestamp,
    originTimestamp: request.transmitTimestamp,
    receiveTimestamp: request.transmitTimestamp,
    transmitTimestamp: request.transmitTimestamp,
  };
}
