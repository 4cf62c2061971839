/**
 * Decoding frames from any Node `Readable` (a `net.Socket`, a file, `process.stdin`).
 *
 * ```
 *  readable ──chunks──► FrameReader(decoder) ──frames──► for await (const f of …)
 *     ▲ pulled only when the consumer asks for the next frame: a slow consumer
 *     └ leaves the bytes in the kernel / the stream's highWaterMark, not in memory
 * ```
 *
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { DecoderError } from '../errors.js';
import type { Decoder } from './codec.js';
import { FrameReader } from './frame-reader.js';

/** Options of {@link decodeStream}. */
export interface DecodeStreamOptions {
  /**
   * Called with a decoder error after which the decoder can go on (it consumed the
   * bad bytes: a too-long line it discards, a line of invalid UTF-8). Return to skip
   * the bad frame and keep iterating; throw to end the iteration. Without it, every
   * error ends the iteration. Errors that consumed nothing (a corrupt length header)
   * always end it: nothing could follow them.
   */
  onRecoverableError?: (error: DecoderError) => void;
  /**
   * Destroy a Node `Readable` when the loop is left early (`break`, `return`, an
   * error), as Node's own readable iterator does (default `true`). The stream is
   * never destroyed when it ended normally, so a socket can still answer after the
   * peer's half-close.
   */
  destroyOnReturn?: boolean;
}

/** The part of a Node `Readable` that decodeStream uses beyond async iteration. */
interface NodeReadableLike extends AsyncIterable<unknown> {
  iterator(options: { destroyOnReturn: boolean }): AsyncIterableIterator<unknown>;
  destroy(error?: Error): unknown;
}

function isNodeReadable(
  x: AsyncIterable<Uint8Array | string>,
): x is AsyncIterable<Uint8Array | string> & NodeReadableLike {
  const r = x as Partial<NodeReadableLike>;
  return typeof r.iterator === 'function' && typeof r.destroy === 'function';
}

/**
 * Iterates over the frames `decoder` cuts from `readable`. The stream is read only
 * as fast as the loop consumes frames (Node's readable iterator pulls with
 * `read()`), so memory stays bounded when the consumer is slow. At the end of the
 * stream, leftover bytes of an unfinished frame throw.
 *
 * @param readable a byte stream: a Node `Readable` or any async iterable of chunks
 *   (string chunks are taken as UTF-8).
 * @param decoder a fresh decoder (decoders keep per-stream state).
 * @param options see {@link DecodeStreamOptions}.
 * @throws {FrameTooLongError} / {CorruptFrameError} from the decoder.
 * @throws {TruncatedFrameError} when the stream ends inside a frame.
 *
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { decodeStream, LineCodec } from 'socketkit/framing';
 *
 * for await (const line of decodeStream(createReadStream('/etc/hosts'), new LineCodec())) {
 *   console.log(line);
 * }
 * ```
 */
export async function* decodeStream<T>(
  readable: AsyncIterable<Uint8Array | string>,
  decoder: Decoder<T>,
  options: DecodeStreamOptions = {},
): AsyncIterableIterator<T> {
  const reader = new FrameReader(decoder);
  const onError = options.onRecoverableError;
  const next = (): T | null => recovering(reader, onError, () => reader.next());
  const last = (): T | null => recovering(reader, onError, () => reader.nextAtEnd());
  // Node's plain `for await` destroys the stream even when it ended normally, which
  // would also close a socket's writable side: take over that decision.
  const node = isNodeReadable(readable) ? readable : null;
  const source = node ? node.iterator({ destroyOnReturn: false }) : readable;
  let ended = false;
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      reader.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      for (let frame = next(); frame !== null; frame = next()) yield frame;
    }
    ended = true;
  } finally {
    if (!ended && node && options.destroyOnReturn !== false) node.destroy();
  }
  for (let frame = last(); frame !== null; frame = last()) yield frame;
}

/** Runs `step`, skipping the errors that `onError` accepts and that consumed bytes. */
function recovering<T>(
  reader: FrameReader<T>,
  onError: ((error: DecoderError) => void) | undefined,
  step: () => T | null,
): T | null {
  // Bounded: every skipped error consumed at least one byte of a finite queue.
  for (;;) {
    const before = reader.buffered;
    try {
      return step();
    } catch (error) {
      if (onError === undefined || reader.failed || reader.buffered === before) throw error;
      onError(error as DecoderError);
    }
  }
}

/**
 * A `Transform` from bytes to frames (its readable side is in object mode), for
 * `pipeline()`s. Same semantics as {@link decodeStream}: decoder errors destroy the
 * stream with that error, and leftover bytes at the end are a `TruncatedFrameError`.
 *
 * @example
 * ```ts
 * import { Readable } from 'node:stream';
 * import { FrameDecoderTransform, LineCodec } from 'socketkit/framing';
 *
 * const lines = Readable.from([Buffer.from('a\nb\n')]).pipe(new FrameDecoderTransform(new LineCodec()));
 * for await (const line of lines) console.log(line); // 'a', 'b'
 * ```
 */
export class FrameDecoderTransform<T> extends Transform {
  readonly #reader: FrameReader<T>;

  /**
   * @param decoder a fresh decoder.
   * @param options `highWaterMark` of the readable side, in frames (default 16).
   */
  constructor(decoder: Decoder<T>, options: { highWaterMark?: number } = {}) {
    super({
      readableObjectMode: true,
      readableHighWaterMark: options.highWaterMark ?? 16,
    });
    this.#reader = new FrameReader(decoder);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#reader.push(chunk);
      for (let frame = this.#reader.next(); frame !== null; frame = this.#reader.next()) {
        this.push(frame);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // One at a time, so the frames before a TruncatedFrameError still go out.
      for (let f = this.#reader.nextAtEnd(); f !== null; f = this.#reader.nextAtEnd()) {
        this.push(f);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
