/**
 * `printable`: a client's bytes (a SOCKS domain name, an HTTP request line) as text that
 * is safe in a log line: printable ASCII stays, everything else (control characters,
 * escape sequences, C1 controls, non-ASCII) becomes `\xHH`, and the result is cut at
 * `max` characters. A log must never hand a terminal raw network bytes.
 * @module
 */

/** `data` with every byte outside printable ASCII as `\xHH`, at most `max` characters. */
export function printable(data: Uint8Array | string, max = 200): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let out = '';
  for (const b of bytes) {
    if (out.length >= max) return `${out}…`;
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c
        ? String.fromCharCode(b)
        : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
