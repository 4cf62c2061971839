/**
 * Cuts a client's byte stream into lines, with a length cap and a "partial line"
 * timeout for clients that never send a newline (the tutorials' Python client sends
 * each message as a bare `sendall(message.encode())`).
 *
 * ```
 *   "hel" "lo\r\nwor" ──▶ line "hello\r"        (the CR is removed by sanitizeLine)
 *   ... 200 ms with "wor" pending ──▶ flush() ──▶ line "wor"
 *   > maxLineLength bytes without "\n" ──▶ one `tooLong`, then the rest of that line is dropped
 * ```
 *
 * Pure: no timers here; the session calls {@link LineSplitter.flush} when its timer fires.
 * @module
 */

/** What {@link LineSplitter.push} produced. */
export type SplitItem = { line: Buffer } | { tooLong: number };

/** A bounded line splitter (tokio `LinesCodec` semantics: discard an oversize line, carry on). */
export class LineSplitter {
  readonly maxLineLength: number;
  #chunks: Buffer[] = [];
  #length = 0;
  /** True while dropping the rest of an oversize line. */
  #discarding = false;

  /** @param maxLineLength the longest line kept, in bytes, without its newline. */
  constructor(maxLineLength: number) {
    this.maxLineLength = maxLineLength;
  }

  /** Bytes waiting for a newline. */
  get pending(): number {
    return this.#length;
  }

  /** Feeds bytes; returns the complete lines (and oversize notices) they finished. */
  push(chunk: Buffer): SplitItem[] {
    const out: SplitItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.#discarding) {
        if (nl !== -1) this.#discarding = false;
      } else {
        const piece = chunk.subarray(start, end);
        // A CR just before the LF does not count against the limit (telnet's CRLF).
        const pieceLimit = nl !== -1 && end > start && chunk[end - 1] === 0x0d ? 1 : 0;
        if (this.#length + piece.length - pieceLimit > this.maxLineLength) {
          out.push({ tooLong: this.maxLineLength });
          this.#chunks = [];
          this.#length = 0;
          this.#discarding = nl === -1;
        } else if (nl === -1) {
          if (piece.length > 0) {
            this.#chunks.push(Buffer.from(piece));
            this.#length += piece.length;
          }
        } else {
          const line =
            this.#chunks.length === 0
              ? Buffer.from(piece)
              : Buffer.concat([...this.#chunks, piece]);
          this.#chunks = [];
          this.#length = 0;
          out.push({ line });
        }
      }
      if (nl === -1) break;
      start = nl + 1;
    }
    return out;
  }

  /** Takes the partial line, if any (timer or end of input). */
  flush(): Buffer | null {
    if (this.#discarding) {
      this.#discarding = false;
      return null;
    }
    if (this.#length === 0) return null;
    const line = Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#length = 0;
    return line;
  }
}
