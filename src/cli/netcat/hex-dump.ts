/**
 * The hex dump of `-x`, byte for byte in ncat's `--hex-dump` format, so the two tools'
 * dumps can be compared with `diff`. Each chunk sent or received is dumped on its own,
 * its offsets starting at 0000:
 *
 * ```
 * 0000   68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 74 68 69  hello.world,.thi
 * 0010   0a 73 65 63 6f 6e 64 0a                           .second.
 * ```
 * (the ASCII column is padded with spaces to 16 characters; only printable,
 * non-space ASCII is shown, everything else as `.`).
 * @module
 */

const BYTES_PER_LINE = 16;

/**
 * Formats one chunk of traffic as ncat's hex dump lines (each ending in `\n`).
 * @example
 * formatHexDump(Buffer.from('abc\n'));
 * // '0000   61 62 63 0a' + 39 spaces + 'abc.            \n'
 */
export function formatHexDump(chunk: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < chunk.length; offset += BYTES_PER_LINE) {
    let hex = '';
    let ascii = '';
    for (let i = 0; i < BYTES_PER_LINE; i += 1) {
      const byte = chunk[offset + i];
      if (i === 8) hex += ' ';
      if (byte === undefined) {
        hex += '   ';
        ascii += ' ';
        continue;
      }
      hex += `${byte.toString(16).padStart(2, '0')} `;
      ascii += byte > 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
    }
    out += `${offset.toString(16).padStart(4, '0')}   ${hex} ${ascii}\n`;
  }
  return out;
}
