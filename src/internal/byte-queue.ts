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
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #first = 0;
  #offset = 0;
  #length = 0;

  /** How many bytes are queued. */
  get length(): number {
    return this.#length;
  }

  /** How many chunks hold the queued bytes (for tests and diagnostics). */
  get chunkCount(): number {
    return this.#chunks.length - this.#first;
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
    if (index < 0 || index >= this.#length) throw new RangeError(`byteAt(${index}) out of range`);
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
   * far beyond any sane frame limit.
   */
  readUInt(offset: number, width: number, littleEndian = false): number {
    if (offset + width > this.#length) throw new RangeError('readUInt past the end of the queue');
    let value = 0;
    for (let k = 0; k < width; k++) {
      const b = this.byteAt(littleEndian ? offset + width - 1 - k : offset + k);
      value = value * 256 + b;
    }
    return value;
  }

  /**
   * The position of the first occurrence of `needle` at or after `from`, or -1.
   * Matches that straddle chunk boundaries are found too.
   */
  indexOf(needle: Uint8Array | number, from = 0): number {
    const pattern =
      typeof needle === 'number'
        ? needle
        : Buffer.from(needle.buffer, needle.byteOffset, needle.length);
    const m = typeof pattern === 'number' ? 1 : pattern.length;
    if (m === 0) return from <= this.#length ? from : -1;
    if (from < 0) from = 0;
    let base = 0; // queue position of the current chunk's first live byte
    for (let c = this.#first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c]!;
      const start = c === this.#first ? this.#offset : 0;
      const live = chunk.length - start;
      if (base + live > from) {
        const localFrom = Math.max(0, from - base) + start;
        const hit = chunk.indexOf(pattern, localFrom);
        if (hit !== -1) return base + hit - start;
        // A match may begin in the last m-1 bytes of this chunk and end in the next.
        if (m > 1 && c + 1 < this.#chunks.length) {
          const firstCandidate = Math.max(base + live - (m - 1), from);
          for (let p = firstCandidate; p < base + live; p++) {
            if (p + m > this.#length) break;
            if (this.#matchesAt(pattern as Buffer, p)) return p;
          }
        }
      }
      base += live;
    }
    return -1;
  }

  #matchesAt(pattern: Buffer, position: number): boolean {
    for (let k = 0; k < pattern.length; k++) {
      if (this.byteAt(position + k) !== pattern[k]) return false;
    }
    return true;
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
    if (n < 0 || n > this.#length) throw new RangeError(`skip(${n}) with ${this.#length} queued`);
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
    if (this.#length === 0) this.clear();
  }

  /** Empties the queue. */
  clear(): void {
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

  #read(n: number, consume: boolean): Buffer {
    if (n < 0 || n > this.#length)
      throw new RangeError(`read of ${n} bytes with ${this.#length} queued`);
    if (n === 0) return Buffer.alloc(0);
    const head = this.#chunks[this.#first]!;
    const live = head.length - this.#offset;
    if (n <= live) {
      const out = head.subarray(this.#offset, this.#offset + n);
      if (consume) this.skip(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    for (let c = this.#first; written < n; c++) {
      const chunk = this.#chunks[c]!;
      const start = c === this.#first ? this.#offset : 0;
      const count = Math.min(chunk.length - start, n - written);
      chunk.copy(out, written, start, start + count);
      written += count;
    }
    if (consume) this.skip(n);
    return out;
  }
}
