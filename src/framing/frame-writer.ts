/**
 * Writing encoded frames to any Node `Writable` (a `net.Socket`, a file, a pipe)
 * with backpressure: the promise settles only when the stream can take more.
 *
 * ```
 *  frame ──encode──► Buffer | Buffer[] ──cork/write…/uncork──► writable
 *                                         write() → true ──► resolve
 *                                         write() → false ─► wait 'drain' ──► resolve
 *                                         'error' / 'close' before that ──► reject
 * ```
 *
 * @module
 */
import type { Writable } from 'node:stream';
import { fromSystemError, SocketClosedError } from '../errors.js';
import type { Encoder } from './codec.js';

/**
 * Encodes `frame` and writes it to `writable`, honouring backpressure: resolves at
 * once when `write()` returned `true`, otherwise on `'drain'` (tokio's
 * `backpressure_boundary`, ws's `bufferedAmount`). A frame the encoder gives as
 * several buffers (header and payload) is written between `cork()` and `uncork()`,
 * so it leaves in one `writev` and the payload is never copied.
 *
 * @param writable the stream to write to.
 * @param encoder the codec that turns the frame into bytes.
 * @param frame the frame to send.
 * @throws {InvalidArgumentError} (synchronously, from the encoder) when the frame cannot be encoded.
 * @throws {SocketClosedError} (rejection) when the stream is ended, destroyed or closes before draining.
 * @throws {SocketkitError} (rejection) when the stream fails while the frame waits to drain.
 *
 * @example
 * ```ts
 * import net from 'node:net';
 * import { LengthPrefixedCodec, writeFrame } from 'socketkit/framing';
 *
 * const sock = net.connect(7000, '127.0.0.1');
 * await writeFrame(sock, new LengthPrefixedCodec(), Buffer.from('hello'));
 * ```
 */
export function writeFrame<T>(writable: Writable, encoder: Encoder<T>, frame: T): Promise<void> {
  // Encode first: a frame that cannot be encoded is the caller's bug, reported at once.
  const data = encoder.encode(frame);
  if (writable.destroyed || writable.writableEnded) {
    return Promise.reject(new SocketClosedError('write'));
  }
  let ok = true;
  if (Array.isArray(data)) {
    writable.cork();
    try {
      for (const chunk of data) ok = writable.write(chunk) && ok;
    } finally {
      // uncork() flushes synchronously into _writev when the stream is not busy.
      writable.uncork();
    }
  } else {
    ok = writable.write(data);
  }
  if (ok) return Promise.resolve();
  return waitForDrain(writable);
}

/** Settles on the first of 'drain' (resolve), 'error' or 'close' (reject). */
function waitForDrain(writable: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      writable.off('drain', onDrain);
      writable.off('error', onError);
      writable.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(fromSystemError(err, { syscall: 'write' }));
    };
    const onClose = (): void => {
      cleanup();
      reject(new SocketClosedError('write'));
    };
    writable.on('drain', onDrain);
    writable.on('error', onError);
    writable.on('close', onClose);
  });
}
