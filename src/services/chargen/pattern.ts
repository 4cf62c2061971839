/**
 * The character generator pattern of RFC 864.
 *
 * ```
 * line 0:  !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefg CR LF
 * line 1: !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh CR LF
 * line 2: "#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghi CR LF
 *         └──────────────────────── 72 printable characters ───────────────────────┘
 * ```
 *
 * The 95 printable ASCII characters (0x20 space … 0x7e tilde) form a ring; line `n`
 * is the 72 characters of the ring that start at position `n mod 95`, then CRLF
 * (74 bytes). After 95 lines the pattern repeats.
 * @see https://www.rfc-editor.org/rfc/rfc864
 * @module
 */

/** Printable ASCII characters in the ring: 0x20 … 0x7e. */
export const CHARGEN_RING_SIZE = 95;
/** Characters per line, before CRLF. */
export const CHARGEN_LINE_WIDTH = 72;
/** Bytes per line on the wire, CRLF included. */
export const CHARGEN_LINE_BYTES = CHARGEN_LINE_WIDTH + 2;
/** Largest UDP reply RFC 864 allows (characters). */
export const CHARGEN_MAX_DATAGRAM = 512;

/**
 * Line `n` of the pattern (CRLF included).
 * @example chargenLine(0).toString('latin1').startsWith(' !"#') // true
 */
export function chargenLine(n: number): Buffer {
  const line = Buffer.allocUnsafe(CHARGEN_LINE_BYTES);
  const start = ((n % CHARGEN_RING_SIZE) + CHARGEN_RING_SIZE) % CHARGEN_RING_SIZE;
  for (let k = 0; k < CHARGEN_LINE_WIDTH; k++) line[k] = 0x20 + ((start + k) % CHARGEN_RING_SIZE);
  line[CHARGEN_LINE_WIDTH] = 0x0d;
  line[CHARGEN_LINE_WIDTH + 1] = 0x0a;
  return line;
}

let cycle: Buffer | undefined;

/**
 * One whole period of the pattern: lines 0 … 94, 7030 bytes. Built once and shared
 * (never mutate it): the TCP service writes it again and again, so a connection costs
 * no allocation per line.
 */
export function chargenCycle(): Buffer {
  if (cycle === undefined) {
    cycle = Buffer.concat(Array.from({ length: CHARGEN_RING_SIZE }, (_, n) => chargenLine(n)));
  }
  return cycle;
}

/**
 * A UDP reply: `length` bytes of the pattern, starting at line `firstLine`.
 * @param length 0 … 512 (RFC 864: "a random number of characters between 0 and 512").
 */
export function chargenDatagram(length: number, firstLine = 0): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > CHARGEN_MAX_DATAGRAM) {
    throw new RangeError(
      `chargen datagram length must be 0…${CHARGEN_MAX_DATAGRAM}, got ${length}`,
    );
  }
  const all = chargenCycle();
  const start =
    (((firstLine % CHARGEN_RING_SIZE) + CHARGEN_RING_SIZE) % CHARGEN_RING_SIZE) *
    CHARGEN_LINE_BYTES;
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = all[(start + i) % all.length] ?? 0x20;
  return out;
}
