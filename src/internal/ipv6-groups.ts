/**
 * `ipv6Groups`: the eight 16-bit groups of an IPv6 literal, the one parser behind the
 * access lists (server/), the SOCKS proxy's wire format (services/socks) and the SOCKS5
 * client (socket/connect-through-proxy.ts).
 * @module
 */

/**
 * The eight 16-bit groups of a valid IPv6 literal (`::` expanded, an embedded IPv4 tail
 * such as `::ffff:1.2.3.4` turned into two groups, a zone id `%eth0` dropped), or null
 * when the text has more than one `::` or the wrong number of groups.
 */
export function ipv6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (s: string | undefined): number[] =>
    s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16));
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** The 16 bytes of an IPv6 literal the caller knows is valid (`net.isIP(a) === 6`). */
export function ipv6Bytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  (ipv6Groups(address) ?? []).forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
