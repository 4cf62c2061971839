/**
 * A queue of received bytes, kept as the list of chunks the socket delivered.
 *
 * It is the one accumulation buffer of a socket and of a `FrameReader`: chunks are
 * pushed without copying, searched in place, and taken back out as `subarray`s of
 * the original chunk whenever the bytes asked for lie in one chunk. Only a read that
 * spans chunks copies, and it copies just the bytes it returns.
 *
 * ```
 *  #chunks: [ c0 | c1 | c2 ]      #first = index of c0 in the array
 *             ^#offset            bytes of c0 before #offset are consumed
 * ```
 *
 * Buffers returned by `peek`/`take` may share memory with the pushed chunks, so a
 * producer must not reuse a chunk after pushing it (Node's sockets never do).
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #first = 0;
  #offset = 0;
  #length = 0;
  #consumed = 0;

  /** How many bytes are queued. */
  get length(): number {
    return this.#length;
  }

  /** How many chunks hold the queued bytes (for tests and diagnostics). */
  get chunkCount(): number {
    return this.#chunks.length - this.#first;
  }

  /**
   * How many bytes have left the front of the queue since it was created: the
   * stream offset of the first queued byte. Decoders use it to remember how far
   * they scanned even when someone else consumed bytes in between.
   */
  get consumed(): number {
    return this.#consumed;
  }

  /** Appends a chunk. The queue keeps a reference: the caller must not reuse it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.#chunks.push(buf);
    this.#length += buf.length;
  }

  /** The byte at position `index` (0 = the oldest queued byte). */
  byteAt(index: number): number {
    if (!(index >= 0 && index < this.#length)) {
      throw new RangeError(`byteAt(${index}) out of range`);
    }
    let i = index + this.#offset;
    for (let c = this.#first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      if (i < chunk.length) return chunk[i]!;
      i -= chunk.length;
    }
    throw new RangeError(`byteAt(${index}) out of range`);
  }

  /**
   * Reads an unsigned integer of `width` bytes (1 to 8) at `offset` without consuming
   * it. Widths above 6 may lose precision past 2^53, which only matters for lengths
   * far beyond any sane frame limit (callers that care check the high bytes).
   */
  readUInt(offset: number, width: number, littleEndian = false): number {
    if (!Number.isInteger(width) || width < 1 || width > 8) {
      throw new RangeError(`readUInt width must be 1 to 8, got ${width}`);
    }
    if (!(offset >= 0) || offset + width > this.#length) {
      throw new RangeError('readUInt past the end of the queue');
    }
    const head = this.#chunks[this.#first]!;
    const at = this.#offset + offset;
    // Fast path: the field lies in the head chunk, read it with Buffer's native helpers.
    if (width <= 6 && at + width <= head.length) {
      return littleEndian ? head.readUIntLE(at, width) : head.readUIntBE(at, width);
    }
    const bytes = this.#copyRange(offset, offset + width);
    let value = 0;
    for (let k = 0; k < width; k++) {
      value = value * 256 + bytes[littleEndian ? width - 1 - k : k]!;
    }
    return value;
  }

  /**
   * The position of the first occurrence of `needle` at or after `from`, or -1.
   * Matches that straddle chunk boundaries (even several chunks) are found too.
   * Each chunk is searched with the native `Buffer#indexOf`; only the few bytes
   * around a chunk boundary are copied to look for a straddling match.
   */
  indexOf(needle: Uint8Array | number, from = 0): number {
    const pattern =
      typeof needle === 'number'
        ? needle
        : Buffer.isBuffer(needle)
          ? needle
          : Buffer.from(needle.buffer, needle.byteOffset, needle.length);
    const m = typeof pattern === 'number' ? 1 : pattern.length;
    if (!(from > 0)) from = 0;
    if (m === 0) return from <= this.#length ? from : -1;
    if (from + m > this.#length) return -1;
    let base = 0; // queue position of the current chunk's first live byte
    for (let c = this.#first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      const start = c === this.#first ? this.#offset : 0;
      const end = base + chunk.length - start; // queue position just past this chunk
      if (end > from) {
        const hit = chunk.indexOf(pattern, Math.max(0, from - base) + start);
        if (hit !== -1) return base + hit - start;
        // A match may begin in the last m-1 bytes of this chunk and end in a later one:
        // search a small copied window around the boundary.
        if (m > 1 && end < this.#length) {
          const windowStart = Math.max(end - (m - 1), from);
          const windowEnd = Math.min(end + m - 1, this.#length);
          const h = this.#copyRange(windowStart, windowEnd).indexOf(pattern);
          if (h !== -1) return windowStart + h;
        }
      }
      base = end;
    }
    return -1;
  }

  /** The first `n` bytes, without consuming them (a copy only if they span chunks). */
  peek(n: number): Buffer {
    return this.#read(n, false);
  }

  /** Removes and returns the first `n` bytes (a copy only if they span chunks). */
  take(n: number): Buffer {
    return this.#read(n, true);
  }

  /** Removes and returns everything queued. */
  takeAll(): Buffer {
    return this.#read(this.#length, true);
  }

  /** Drops the first `n` bytes. */
  skip(n: number): void {
    if (!(n >= 0 && n <= this.#length)) {
      throw new RangeError(`skip(${n}) with ${this.#length} queued`);
    }
    if (n === this.#length) {
      this.clear();
      return;
    }
    let left = n;
    while (left > 0) {
      const chunk = this.#chunks[this.#first]!;
      const live = chunk.length - this.#offset;
      if (left < live) {
        this.#offset += left;
        break;
      }
      left -= live;
      this.#dropFirst();
    }
    this.#length -= n;
    this.#consumed += n;
  }

  /** Empties the queue (the dropped bytes count as consumed). */
  clear(): void {
    this.#consumed += this.#length;
    this.#chunks = [];
    this.#first = 0;
    this.#offset = 0;
    this.#length = 0;
  }

  /** Yields the queued bytes chunk by chunk, zero-copy, without consuming them. */
  *chunks(): IterableIterator<Buffer> {
    for (let c = this.#first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      yield c === this.#first && this.#offset > 0 ? chunk.subarray(this.#offset) : chunk;
    }
  }

  #dropFirst(): void {
    this.#chunks[this.#first] = undefined as unknown as Buffer;
    this.#first++;
    this.#offset = 0;
    // Compact now and then so the array does not grow without bound.
    if (this.#first > 64 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }

  /** Copies the queued bytes at positions [start, end) into a new buffer. */
  #copyRange(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(end - start);
    let written = 0;
    let base = 0;
    for (let c = this.#first; c < this.#chunks.length && written < out.length; c++) {
      const chunk = this.#chunks[c]!;
      const live0 = c === this.#first ? this.#offset : 0;
      const chunkEnd = base + chunk.length - live0;
      if (chunkEnd > start) {
        const from = live0 + Math.max(0, start + written - base);
        const count = Math.min(chunk.length - from, out.length - written);
        chunk.copy(out, written, from, from + count);
        written += count;
      }
      base = chunkEnd;
    }
    return out;
  }

  #read(n: number, consume: boolean): Buffer {
    if (!(n >= 0 && n <= this.#length)) {
      throw new RangeError(`read of ${n} bytes with ${this.#length} queued`);
    }
    if (n === 0) return Buffer.alloc(0);
    const head = this.#chunks[this.#first]!;
    const out =
      n <= head.length - this.#offset
        ? head.subarray(this.#offset, this.#offset + n)
        : this.#copyRange(0, n);
    if (consume) this.skip(n);
    return out;
  }
}
