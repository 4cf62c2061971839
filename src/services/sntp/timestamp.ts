/**
 * NTP timestamps ↔ Unix time in nanoseconds, with era handling (RFC 5905 §6).
 *
 * An NTP timestamp is 32 bits of seconds since 1900-01-01 and 32 bits of fraction.
 * The seconds field wraps every 2^32 s (~136 years): era 0 ends on
 * 2036-02-07T06:28:16Z, when era 1 starts again at 0. The wire carries no era, so
 * decoding picks the era that puts the time closest to a pivot (normally "now"),
 * which is correct as long as clocks are within 68 years of each other.
 * @module
 */

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800n;
/** Length of one NTP era in seconds. */
export const NTP_ERA_SECONDS = 1n << 32n;
/** The first instant of NTP era 1 as Unix milliseconds (2036-02-07T06:28:16Z). */
export const NTP_ERA1_UNIX_MS = Number((NTP_ERA_SECONDS - NTP_UNIX_OFFSET_SECONDS) * 1000n);

const NS_PER_S = 1_000_000_000n;
const FRACTION = 1n << 32n;

/** Floor division for bigints (BigInt `/` truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * Converts Unix nanoseconds to a raw 64-bit NTP timestamp in whatever era the time
 * falls (the seconds wrap modulo 2^32). The fraction is exact to the nanosecond:
 * `floor(ns * 2^32 / 1e9)`.
 */
export function unixNanosToNtp(unixNs: bigint): bigint {
  const seconds = floorDiv(unixNs, NS_PER_S);
  const nanos = unixNs - seconds * NS_PER_S;
  const ntpSeconds =
    (((seconds + NTP_UNIX_OFFSET_SECONDS) % NTP_ERA_SECONDS) + NTP_ERA_SECONDS) % NTP_ERA_SECONDS;
  const fraction = (nanos * FRACTION) / NS_PER_S;
  return (ntpSeconds << 32n) | fraction;
}

/**
 * Converts a raw NTP timestamp back to Unix nanoseconds, choosing the era closest to
 * `pivotUnixNs` (default: era 0 before 2036, the RFC 4330 §3 "MSB" rule otherwise).
 * The result is rounded to the nearest nanosecond.
 */
export function ntpToUnixNanos(timestamp: bigint, pivotUnixNs?: bigint): bigint {
  const ntpSeconds = timestamp >> 32n;
  const fraction = timestamp & (FRACTION - 1n);
  const nanos = (fraction * NS_PER_S + FRACTION / 2n) / FRACTION;
  // RFC 4330 §3: with no better information, MSB set → era 0 (1968–2036), clear → era 1.
  let era: bigint;
  if (pivotUnixNs === undefined) {
    era = ntpSeconds & 0x8000_0000n ? 0n : 1n;
  } else {
    const pivotNtpSeconds = floorDiv(pivotUnixNs, NS_PER_S) + NTP_UNIX_OFFSET_SECONDS;
    const pivotEra = floorDiv(pivotNtpSeconds, NTP_ERA_SECONDS);
    // Of the candidate eras around the pivot, keep the closest one.
    let best: bigint | undefined;
    let bestDistance = 0n;
    for (const candidate of [pivotEra - 1n, pivotEra, pivotEra + 1n]) {
      const total = candidate * NTP_ERA_SECONDS + ntpSeconds;
      const distance = total > pivotNtpSeconds ? total - pivotNtpSeconds : pivotNtpSeconds - total;
      if (best === undefined || distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    era = best ?? pivotEra;
  }
  const unixSeconds = era * NTP_ERA_SECONDS + ntpSeconds - NTP_UNIX_OFFSET_SECONDS;
  return unixSeconds * NS_PER_S + nanos;
}

/** Seconds as a float from a raw timestamp (relative to the pivot's era), for offset math. */
export function ntpToUnixSeconds(timestamp: bigint, pivotUnixNs?: bigint): number {
  return Number(ntpToUnixNanos(timestamp, pivotUnixNs)) / 1e9;
}

/**
 * Replaces the fraction bits below the clock's precision with random bits, as RFC 5905 §6
 * recommends: they carry no information, and random low bits make a server's transmit
 * timestamp harder to predict for an off-path attacker.
 * @param precision log2 seconds of the clock's resolution, e.g. -20.
 * @param randomBits returns a uniformly random 32-bit unsigned integer.
 */
export function fillLowBits(
  timestamp: bigint,
  precision: number,
  randomBits: () => number,
): bigint {
  // Bits of the 32-bit fraction finer than 2^precision seconds.
  const noiseBits = BigInt(Math.max(0, Math.min(32, 32 + precision)));
  if (noiseBits === 0n) return timestamp;
  const mask = (1n << noiseBits) - 1n;
  return (timestamp & ~mask) | (BigInt(randomBits() >>> 0) & mask);
}
