/**
 * Node stream views of a socket (Python's `makefile`): a Readable that reads from the
 * socket's own receive buffer, and a Writable that sends with backpressure. Because the
 * Readable pulls through the same buffer as `recv`, mixing the two loses no byte (the
 * stream's internal buffer holds only what it already pulled).
 * @module
 */
import { Readable, Writable } from 'node:stream';

/**
 * A Readable that pulls chunks with `read(n)` (an empty buffer = EOF).
 * @param highWaterMark how much the stream buffers ahead.
 */
export function readableView(
  read: (n: number) => Promise<Buffer>,
  highWaterMark: number,
): Readable {
  return new Readable({
    highWaterMark,
    read(size) {
      read(Math.max(1, size)).then(
        (chunk) => {
          this.push(chunk.length === 0 ? null : chunk);
        },
        (err: Error) => this.destroy(err),
      );
    },
  });
}

/** A Writable that sends with `send` and calls `end` when the stream finishes. */
export function writableView(
  send: (chunk: Buffer) => Promise<void>,
  end: () => Promise<void>,
): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      send(chunk).then(() => callback(), callback);
    },
    final(callback) {
      end().then(() => callback(), callback);
    },
  });
}
