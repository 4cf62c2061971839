/**
 * The reads a stream socket offers, each as a `ReadAttempt`: a pure function that takes
 * one result off the receive queue in one step, or nothing (`MORE`). Keeping them pure
 * and all-or-nothing is what makes any interleaving of reads and timeouts lossless.
 * @module
 */
import { type ErrorAddress, FrameTooLongError, IncompleteReadError } from '../errors.js';
import type { FrameReader } from '../framing/frame-reader.js';
import { MORE, type ReadAttempt } from './receive-buffer.js';

/** `recv(maxBytes)`: whatever is queued, up to `maxBytes`; an empty buffer at EOF. */
export function recvAttempt(maxBytes: number): ReadAttempt<Buffer> {
  return (q, eof) =>
    q.length > 0 ? q.take(Math.min(maxBytes, q.length)) : eof ? Buffer.alloc(0) : MORE;
}

/** Iteration: the oldest received chunk (zero-copy), at most `limit` bytes; `null` at EOF. */
export function chunkAttempt(limit: number): ReadAttempt<Buffer | null> {
  return (q, eof) => {
    for (const chunk of q.chunks()) return q.take(Math.min(chunk.length, limit));
    return eof ? null : MORE;
  };
}

/** `recvExactly(n)`: `n` bytes or nothing; at EOF an `IncompleteReadError` that takes nothing. */
export function exactlyAttempt(n: number, where: () => ErrorAddress): ReadAttempt<Buffer> {
  return (q, eof) => {
    if (q.length >= n) return q.take(n);
    if (eof) throw new IncompleteReadError('recvExactly', n, q.length, where());
    return MORE;
  };
}

/**
 * `recvUntil(delimiter)`: the bytes up to the delimiter (kept or stripped). Past `max`
 * bytes without one it throws `FrameTooLongError` and takes nothing (asyncio's
 * `readuntil` limit), so the caller can still `recv` what is there.
 */
export function untilAttempt(
  delimiter: Uint8Array,
  max: number,
  keep: boolean,
  where: () => ErrorAddress,
): ReadAttempt<Buffer> {
  let scanned = 0; // bytes already searched: a long wait never rescans the queue
  return (q, eof) => {
    const at = q.indexOf(delimiter, Math.max(0, scanned - delimiter.length + 1));
    const end = at + delimiter.length;
    if (at !== -1 && end <= max) {
      const out = q.take(end);
      return keep ? out : out.subarray(0, at);
    }
    if (at !== -1 || q.length >= max) {
      throw new FrameTooLongError(at === -1 ? q.length : end, max, 'data before the delimiter');
    }
    scanned = q.length;
    if (eof) throw new IncompleteReadError('recvUntil', -1, q.length, where());
    return MORE;
  };
}

/** One step of `frames()`: the next frame, or at EOF the frames left (or `TruncatedFrameError`). */
export type FrameStep<T> = { frame: T } | { end: T[] };

/** `frames(decoder)`: one frame from a `FrameReader` that decodes the socket's own queue. */
export function frameAttempt<T>(reader: FrameReader<T>): ReadAttempt<FrameStep<T>> {
  return (_q, eof) => {
    const frame = reader.next();
    if (frame !== null) return { frame };
    return eof ? { end: reader.end() } : MORE;
  };
}
