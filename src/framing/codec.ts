/**
 * The codec contract every framing module implements (after tokio-util's `Decoder`
 * and Netty's `ByteToMessageDecoder`).
 *
 * A decoder is pure: it looks at the bytes a `FrameReader` accumulated and either
 * takes one frame off the front (returning it) or returns `null` for "need more
 * bytes". It throws a `DecoderError` when the stream is corrupt. It never does I/O.
 *
 * @module
 */
import type { ByteQueue } from '../internal/byte-queue.js';

export type { ByteQueue };

/** Turns a byte stream into frames. */
export interface Decoder<T> {
  /**
   * Decodes at most one frame from the front of `buf`, consuming its bytes.
   * @returns the frame, or `null` when more bytes are needed.
   * @throws {DecoderError} when the bytes cannot form a valid frame.
   */
  decode(buf: ByteQueue): T | null;
  /**
   * Called at end of stream (even when nothing is queued: a decoder may owe an
   * error), repeatedly until it returns `null`. The default (when absent) is
   * `decode`; bytes still queued after that are reported by the `FrameReader` as a
   * `TruncatedFrameError`.
   */
  decodeEnd?(buf: ByteQueue): T | null;
}

/** Turns frames into bytes. */
export interface Encoder<T> {
  /** Encodes one frame. May return several buffers to avoid copying (written with writev). */
  encode(frame: T): Buffer | Buffer[];
}

/** A decoder and its matching encoder. */
export interface Codec<In, Out = In> extends Decoder<In>, Encoder<Out> {}

/** The default `maxFrameLength` of `LineCodec`: 64 KiB, a line is text a person could read. */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
/** The default `maxFrameLength` of every other decoder: 8 MiB. */
export const DEFAULT_MAX_FRAME_LENGTH = 8 * 1024 * 1024;
