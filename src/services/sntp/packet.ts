/**
 * The NTP/SNTP packet codec (RFC 5905 §7.3, RFC 4330 §4): 48 bytes, big-endian.
 *
 * ```
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |LI | VN  |Mode |    Stratum    |     Poll      |   Precision   |  0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Root Delay (16.16 unsigned seconds)           |  4
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              Root Dispersion (16.16 unsigned seconds)         |  8
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Reference ID (4 ASCII chars, IPv4, or hash)          | 12
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |               Reference Timestamp (64: 32.32 seconds)         | 16
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Origin Timestamp (64, T1 echoed)              | 24
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Receive Timestamp (64, T2)                    | 32
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Transmit Timestamp (64, T3)                   | 40
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      (optional extension fields and MAC: ignored here)        | 48
 * ```
 *
 * Timestamps stay raw 64-bit `bigint`s (seconds since 1900 in the current era, mod 2^32,
 * and a 32-bit fraction) so decode→encode is byte-exact; `timestamp.ts` converts them.
 * Root delay and dispersion are numbers of seconds: `raw / 65536` is exact in a double,
 * so they round-trip byte-exactly too.
 * @module
 */
import { CorruptFrameError, InvalidArgumentError } from '../../errors.js';

/** The size of an NTP header without extension fields or MAC. */
export const NTP_PACKET_SIZE = 48;

/** The association modes of RFC 5905 §7.3 (only `client` and `server` are used here). */
export const NtpMode = {
  reserved: 0,
  symmetricActive: 1,
  symmetricPassive: 2,
  client: 3,
  server: 4,
  broadcast: 5,
  control: 6,
  private: 7,
} as const;

/** The leap indicator: a warning of a leap second in the last minute of the current UTC day/month. */
export const LeapIndicator = {
  /** No warning. */
  none: 0,
  /** The last minute of the day has 61 seconds. */
  insert: 1,
  /** The last minute of the day has 59 seconds. */
  delete: 2,
  /** Alarm: the clock is not synchronized (also used in Kiss-o'-Death packets). */
  unsynchronized: 3,
} as const;

export type LeapIndicatorValue = 0 | 1 | 2 | 3;

/** One decoded NTP header. */
export interface NtpPacket {
  leap: LeapIndicatorValue;
  /** Protocol version, 1–4 on the wire (3 bits). */
  version: number;
  /** Association mode, 0–7 (3 bits). */
  mode: number;
  /** 0 = unspecified/Kiss-o'-Death, 1 = primary, 2–15 = secondary, 16 = unsynchronized. */
  stratum: number;
  /** log2 of the poll interval in seconds (signed 8-bit). */
  poll: number;
  /** log2 of the clock precision in seconds (signed 8-bit), e.g. -20 ≈ 1 µs. */
  precision: number;
  /** Total round-trip delay to the reference clock, seconds (16.16 unsigned). */
  rootDelay: number;
  /** Total dispersion to the reference clock, seconds (16.16 unsigned). */
  rootDispersion: number;
  /** The 4 reference-id bytes: ASCII code for stratum 0/1, IPv4 address or hash above. */
  referenceId: Buffer;
  /** When the system clock was last set (raw 64-bit NTP timestamp). */
  referenceTimestamp: bigint;
  /** T1: the client's transmit time, echoed by the server. */
  originTimestamp: bigint;
  /** T2: when the request arrived at the server. */
  receiveTimestamp: bigint;
  /** T3: when the reply left the server (or the request left the client). */
  transmitTimestamp: bigint;
}

const MAX_SHORT = 0xffff_ffff;
const MAX_TIMESTAMP = (1n << 64n) - 1n;

/**
 * Decodes the first 48 bytes of `data`; extension fields and a MAC after them are ignored.
 * @throws {CorruptFrameError} when `data` is shorter than 48 bytes.
 */
export function decodeNtpPacket(data: Uint8Array): NtpPacket {
  if (data.length < NTP_PACKET_SIZE) {
    throw new CorruptFrameError(
      `NTP packet too short: ${data.length} bytes, need ${NTP_PACKET_SIZE}`,
    );
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const first = buf.readUInt8(0);
  return {
    leap: (first >> 6) as LeapIndicatorValue,
    version: (first >> 3) & 0b111,
    mode: first & 0b111,
    stratum: buf.readUInt8(1),
    poll: buf.readInt8(2),
    precision: buf.readInt8(3),
    rootDelay: buf.readUInt32BE(4) / 65536,
    rootDispersion: buf.readUInt32BE(8) / 65536,
    referenceId: Buffer.from(buf.subarray(12, 16)),
    referenceTimestamp: buf.readBigUInt64BE(16),
    originTimestamp: buf.readBigUInt64BE(24),
    receiveTimestamp: buf.readBigUInt64BE(32),
    transmitTimestamp: buf.readBigUInt64BE(40),
  };
}

/**
 * Encodes a header into a fresh 48-byte buffer.
 * @throws {InvalidArgumentError} when a field does not fit its bits.
 */
export function encodeNtpPacket(packet: NtpPacket): Buffer {
  checkInt('leap', packet.leap, 0, 3);
  checkInt('version', packet.version, 0, 7);
  checkInt('mode', packet.mode, 0, 7);
  checkInt('stratum', packet.stratum, 0, 255);
  checkInt('poll', packet.poll, -128, 127);
  checkInt('precision', packet.precision, -128, 127);
  if (packet.referenceId.length !== 4) {
    throw new InvalidArgumentError(`referenceId must be 4 bytes, got ${packet.referenceId.length}`);
  }
  const buf = Buffer.alloc(NTP_PACKET_SIZE);
  buf.writeUInt8((packet.leap << 6) | (packet.version << 3) | packet.mode, 0);
  buf.writeUInt8(packet.stratum, 1);
  buf.writeInt8(packet.poll, 2);
  buf.writeInt8(packet.precision, 3);
  buf.writeUInt32BE(shortFormat('rootDelay', packet.rootDelay), 4);
  buf.writeUInt32BE(shortFormat('rootDispersion', packet.rootDispersion), 8);
  packet.referenceId.copy(buf, 12);
  buf.writeBigUInt64BE(checkTimestamp('referenceTimestamp', packet.referenceTimestamp), 16);
  buf.writeBigUInt64BE(checkTimestamp('originTimestamp', packet.originTimestamp), 24);
  buf.writeBigUInt64BE(checkTimestamp('receiveTimestamp', packet.receiveTimestamp), 32);
  buf.writeBigUInt64BE(checkTimestamp('transmitTimestamp', packet.transmitTimestamp), 40);
  return buf;
}

/**
 * Builds a reference id from a code of at most 4 ASCII characters (`LOCL`, `GPS`, `RATE`),
 * NUL-padded on the right as RFC 5905 §7.3 asks.
 * @throws {InvalidArgumentError} for non-ASCII or longer codes.
 */
export function referenceIdFromCode(code: string): Buffer {
  if (code.length > 4 || !/^[\x20-\x7e]*$/.test(code)) {
    throw new InvalidArgumentError(
      `reference id must be at most 4 printable ASCII characters, got ${JSON.stringify(code)}`,
    );
  }
  const buf = Buffer.alloc(4);
  buf.write(code, 'latin1');
  return buf;
}

/**
 * Shows a reference id the way `ntpq`/`sntp` do: the ASCII code for stratum 0 and 1
 * (kiss codes and reference clocks), a dotted IPv4 address above.
 */
export function formatReferenceId(referenceId: Buffer, stratum: number): string {
  if (stratum <= 1) {
    return referenceId.toString('latin1').replace(/\0+$/, '');
  }
  return [...referenceId].join('.');
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function shortFormat(name: string, seconds: number): number {
  const raw = Math.round(seconds * 65536);
  if (!Number.isFinite(raw) || raw < 0 || raw > MAX_SHORT) {
    throw new InvalidArgumentError(`${name} must be in [0, 65536) seconds, got ${seconds}`);
  }
  return raw;
}

function checkTimestamp(name: string, value: bigint): bigint {
  if (value < 0n || value > MAX_TIMESTAMP) {
    throw new InvalidArgumentError(`${name} must be an unsigned 64-bit value, got ${value}`);
  }
  return value;
}
