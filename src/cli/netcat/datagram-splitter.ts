/**
 * How `connect -u` / `listen -u` cut standard input into datagrams: one datagram per
 * line (the newline kept), so that `printf 'a\nb\n' | socketkit connect -u …` sends two
 * datagrams whether the pipe delivered one chunk or two — the seeds' UDP clients send
 * one `input()` line per `sendto`. A line longer than `maxDatagram` is sent in pieces;
 * an unfinished last line is sent at EOF.
 * @module
 */

/** The largest UDP payload over IPv4 (65535 − 8 byte UDP header − 20 byte IP header). */
export const MAX_UDP_PAYLOAD = 65507;

/** Splits a byte stream into line datagrams. */
export class DatagramSplitter {
  readonly #max: number;
  #pending: Buffer = Buffer.alloc(0);

  constructor(maxDatagram = MAX_UDP_PAYLOAD) {
    this.#max = maxDatagram;
  }

  /**
   * Adds input; returns the datagrams now complete.
   * @example
   * new DatagramSplitter().push(Buffer.from('a\nb')); // [<Buffer 61 0a>] ('b' waits)
   */
  push(chunk: Buffer): Buffer[] {
    const data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      const end = nl === -1 ? -1 : nl + 1;
      if (end === -1 || end - start > this.#max) {
        if (data.length - start < this.#max) break;
        out.push(data.subarray(start, start + this.#max));
        start += this.#max;
        continue;
      }
      out.push(data.subarray(start, end));
      start = end;
    }
    this.#pending = Buffer.from(data.subarray(start));
    return out;
  }

  /** The unfinished last line, if any (call at EOF). */
  flush(): Buffer | null {
    if (this.#pending.length === 0) return null;
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    return rest;
  }
}
