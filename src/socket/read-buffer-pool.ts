/**
 * The read buffers that bulk connections reuse instead of a fresh 64 KiB buffer per read
 * (see `StreamConnection`'s `reuseBuffer`). Without reuse, Node allocates every read's
 * buffer outside the V8 heap and frees it only at GC, tens of MB at a time; glibc then
 * returns that memory to the kernel and the next reads fault every page in again. One
 * buffer per bulk connection, written by the kernel again and again, stays in memory
 * and in cache.
 *
 * The pool bounds what reuse can cost: at most `MAX_LENT` buffers are lent at once
 * (8 MiB); a connection that finds none reads as before. Idle and small-message
 * connections never take one.
 * @module
 */

/** Bytes per buffer: what Node's own allocation reads at most at once. */
export const READ_BUFFER_SIZE = 64 * 1024;
/** Buffers lent at once, process-wide (× 64 KiB = 8 MiB). */
export const MAX_LENT = 128;
/** Returned buffers kept for the next bulk connection; more go to the GC. */
const MAX_SPARE = 16;

const spare: Buffer[] = [];
let lent = 0;

/** A buffer for a bulk connection, or null when `MAX_LENT` are lent already. */
export function takeReadBuffer(): Buffer | null {
  if (lent >= MAX_LENT) return null;
  lent++;
  return spare.pop() ?? Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
}

/** Gives a buffer back, once its socket's handle is closed (nothing reads into it any more). */
export function returnReadBuffer(buffer: Buffer): void {
  lent--;
  if (spare.length < MAX_SPARE) spare.push(buffer);
}

/** Buffers lent now (for tests and diagnostics). */
export function readBuffersLent(): number {
  return lent;
}
