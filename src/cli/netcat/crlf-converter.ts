/**
 * `-C`: turns the LF line endings of standard input into CRLF, as text protocols
 * (SMTP, HTTP, telnet-style services) expect. An LF that already follows a CR is left
 * alone, also when the CR ended the previous chunk, so CRLF input is never doubled.
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/** A stateful LF → CRLF converter for a chunked byte stream. */
export class CrlfConverter {
  #lastWasCr = false;

  /**
   * Converts one chunk; call it for the chunks in order.
   * @example
   * new CrlfConverter().convert(Buffer.from('a\nb\r\n')).toString(); // 'a\r\nb\r\n'
   */
  convert(chunk: Buffer): Buffer {
    const startedAfterCr = this.#lastWasCr;
    if (chunk.length > 0) this.#lastWasCr = chunk[chunk.length - 1] === CR;
    let extra = 0;
    let prevCr = startedAfterCr;
    for (const byte of chunk) {
      if (byte === LF && !prevCr) extra += 1;
      prevCr = byte === CR;
    }
    if (extra === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + extra);
    let j = 0;
    prevCr = startedAfterCr;
    for (const byte of chunk) {
      if (byte === LF && !prevCr) out[j++] = CR;
      out[j++] = byte;
      prevCr = byte === CR;
    }
    return out;
  }
}
