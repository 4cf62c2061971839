/**
 * The RFC 868 time value: seconds since 1900-01-01T00:00:00Z as an unsigned 32-bit
 * big-endian integer.
 *
 * ```
 *  0        8        16       24       32
 * +--------+--------+--------+--------+
 * |  seconds since 1900-01-01 UTC (u32, big-endian)  |
 * +--------+--------+--------+--------+
 * ```
 *
 * ## The 2036 wrap
 * 32 bits of seconds run out at 2036-02-07T06:28:16Z (2^32 s after 1900). RFC 868
 * has no era field, so from that instant the value is the time **mod 2^32**: it
 * starts again from 0 (this module never throws or clamps). A client that knows the
 * date roughly (to within 68 years) recovers the full time the way NTP does
 * (RFC 5905 §6, "era"): pick the era that puts the value closest to its own clock.
 * {@link fromRfc868Seconds} does exactly that.
 *
 * @see https://www.rfc-editor.org/rfc/rfc868
 * @module
 */

/** Seconds from 1900-01-01 to 1970-01-01 (the Unix epoch): 70 years, 17 of them leap. */
export const RFC868_EPOCH_OFFSET = 2_208_988_800;
/** 2^32: the length of one era of the 32-bit value, in seconds (about 136 years). */
export const RFC868_ERA_SECONDS = 2 ** 32;

/**
 * The RFC 868 value for `date` (whole seconds, rounded down), wrapped mod 2^32.
 * @example toRfc868Seconds(new Date('1970-01-01T00:00:00Z')) // 2208988800
 * @example toRfc868Seconds(new Date('2036-02-07T06:28:16Z')) // 0 (the wrap)
 */
export function toRfc868Seconds(date: Date): number {
  const unixSeconds = Math.floor(date.getTime() / 1000);
  const value = (unixSeconds + RFC868_EPOCH_OFFSET) % RFC868_ERA_SECONDS;
  return value < 0 ? value + RFC868_ERA_SECONDS : value;
}

/** The 4 bytes the time service sends for `date`. */
export function encodeRfc868(date: Date): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(toRfc868Seconds(date), 0);
  return out;
}

/**
 * The date an RFC 868 value stands for, choosing the era (wrap count) that puts it
 * closest to `near` (default: now), so values sent after 2036 decode correctly.
 * @param value the 32-bit value, or the 4 bytes a server sent.
 */
export function fromRfc868Seconds(value: number | Uint8Array, near: Date = new Date()): Date {
  const v =
    typeof value === 'number'
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength).readUInt32BE(0);
  const nearSeconds = Math.floor(near.getTime() / 1000) + RFC868_EPOCH_OFFSET;
  const era = Math.round((nearSeconds - v) / RFC868_ERA_SECONDS);
  return new Date((v + era * RFC868_ERA_SECONDS - RFC868_EPOCH_OFFSET) * 1000);
}
