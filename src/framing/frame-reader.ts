/**
 * The one accumulation loop every decoder runs in (Netty's `callDecode`).
 *
 * ```
 *  push(chunk) ──► ByteQueue ──► decoder.decode(queue) ──► frame | null
 *                     ▲                 │ consumed bytes leave the queue
 *                     └─────────────────┘ (loop until null)
 *  end() ──► decoder.decodeEnd(queue) until null; leftovers ──► TruncatedFrameError
 * ```
 *
 * A decoder error that consumed no byte (a corrupt length header, a too-long frame with
 * `discardOnOverflow: false`) is final: nothing after it can be decoded. From then on
 * the reader keeps nothing — its own queue is emptied, `push()` drops what it is given —
 * and every call throws that error again (issue 10, defect 17: it used to keep
 * buffering whatever the peer sent after it).
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import { CodecContractError, TruncatedFrameError } from '../errors.js';
import { ByteQueue } from '../internal/byte-queue.js';
import type { Decoder } from './codec.js';

/**
 * Published on `socketkit:framing:error` (node:diagnostics_channel) each time a
 * decoder throws, before the error reaches the caller.
 */
export interface FramingErrorMessage {
  /** The decoder's error (a `DecoderError`, unless the decoder has a bug). */
  error: unknown;
  /** Whether the decoder consumed the bad bytes, so decoding can go on. */
  recovered: boolean;
  /** Bytes still queued. */
  buffered: number;
}

const errorChannel = diagnostics.channel('socketkit:framing:error');

/**
 * Buffers a byte stream and hands complete frames out of a decoder.
 *
 * @example
 * ```ts
 * import { FrameReader, LineCodec } from 'socketkit/framing';
 *
 * const reader = new FrameReader(new LineCodec());
 * reader.push(Buffer.from('ls\npw'));  // TCP merged one message and half of the next
 * reader.drain(); // ['ls']
 * reader.push(Buffer.from('d\n'));
 * reader.drain(); // ['pwd']
 * reader.end(); // [] (or TruncatedFrameError if a frame was cut off)
 * ```
 */
export class FrameReader<T> {
  readonly #decoder: Decoder<T>;
  readonly #queue: ByteQueue;
  /** An error `drain()` met after some frames, thrown by the next call. */
  #deferred: unknown;
  /** The final error, once one was raised (see the module comment). */
  #final: { error: unknown } | null = null;
  /** True when the queue is the reader's own (not a socket's receive buffer). */
  readonly #ownsQueue: boolean;

  /**
   * @param decoder the codec that cuts frames.
   * @param queue an existing queue to decode from (a socket's receive buffer), so no
   *   byte is copied or lost when a program switches from raw reads to frames.
   */
  constructor(decoder: Decoder<T>, queue?: ByteQueue) {
    this.#decoder = decoder;
    this.#queue = queue ?? new ByteQueue();
    this.#ownsQueue = queue === undefined;
  }

  /** True once a final error was raised: the reader buffers nothing more. */
  get failed(): boolean {
    return this.#final !== null;
  }

  /** Bytes received but not yet part of a frame. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** The underlying queue (shared with the socket that owns it, if any). */
  get queue(): ByteQueue {
    return this.#queue;
  }

  /** Adds received bytes (dropped after a final error: they could never be decoded). */
  push(chunk: Uint8Array): void {
    if (this.#final !== null) return;
    this.#queue.push(chunk);
  }

  /**
   * The next complete frame, or `null` if more bytes are needed.
   * @throws {DecoderError} when the decoder finds the stream corrupt or a frame too long.
   */
  next(): T | null {
    if (this.#deferred !== undefined) {
      const error: unknown = this.#deferred;
      this.#deferred = undefined;
      throw error;
    }
    if (this.#final !== null) throw this.#final.error;
    // Every frame consumes at least one byte (a header, a delimiter), so an empty queue
    // cannot complete one: skip the call on the hot path.
    if (this.#queue.length === 0) return null;
    return this.#step((q) => this.#decoder.decode(q));
  }

  /**
   * Every frame that the queued bytes complete, in order. When the decoder throws
   * after some frames, those frames are returned and the error is thrown by the next
   * call (`next`, `drain`, `end`, `nextAtEnd`): no frame is lost to an error behind it.
   * @throws {DecoderError} when the decoder throws before any frame.
   */
  drain(): T[] {
    const frames: T[] = [];
    try {
      for (let f = this.next(); f !== null; f = this.next()) frames.push(f);
    } catch (error) {
      if (frames.length === 0) throw error;
      this.#deferred = error;
    }
    return frames;
  }

  /**
   * Ends the stream: returns the frames still decodable and throws
   * `TruncatedFrameError` if bytes of an unfinished frame remain. The frames
   * decoded before such an error are lost with it: use {@link nextAtEnd} in a loop
   * to get every one of them first.
   * @throws {TruncatedFrameError} when the stream ended inside a frame.
   */
  end(): T[] {
    const frames: T[] = [];
    for (let f = this.nextAtEnd(); f !== null; f = this.nextAtEnd()) frames.push(f);
    return frames;
  }

  /**
   * After the end of the stream: the next frame still decodable (complete frames,
   * then whatever the decoder's `decodeEnd` makes of the rest), or `null` when none
   * is left.
   * @throws {TruncatedFrameError} when, after the last frame, bytes of an unfinished
   *   frame remain (they are dropped, so a further call returns `null`).
   * @throws {DecoderError} from the decoder.
   */
  nextAtEnd(): T | null {
    const frame = this.next();
    if (frame !== null) return frame;
    const decoder = this.#decoder;
    if (decoder.decodeEnd !== undefined) {
      // Called even on an empty queue: a decoder may owe an error (a frame it was
      // discarding when the stream ended).
      const last = this.#step((q) => decoder.decodeEnd!(q));
      if (last !== null) return last;
    }
    if (this.#queue.length > 0) {
      const remaining = this.#queue.length;
      this.#queue.clear();
      const error = new TruncatedFrameError(remaining);
      if (errorChannel.hasSubscribers) {
        errorChannel.publish({ error, recovered: true, buffered: 0 } satisfies FramingErrorMessage);
      }
      throw error;
    }
    return null;
  }

  #step(fn: (q: ByteQueue) => T | null): T | null {
    if (this.#final !== null) throw this.#final.error;
    const before = this.#queue.length;
    let frame: T | null;
    try {
      frame = fn(this.#queue);
    } catch (error) {
      const recovered = this.#queue.length < before;
      if (!recovered) {
        // Final: keep nothing more. A socket's receive buffer is the socket's to bound
        // (it stops reading at its high-water mark) and may still be read raw.
        this.#final = { error };
        if (this.#ownsQueue) this.#queue.clear();
      }
      if (errorChannel.hasSubscribers) {
        const message: FramingErrorMessage = {
          error,
          recovered,
          buffered: this.#queue.length,
        };
        errorChannel.publish(message);
      }
      throw error;
    }
    if (frame !== null && this.#queue.length === before) {
      throw new CodecContractError(
        'decoder returned a frame without consuming any bytes (it would loop forever)',
      );
    }
    return frame;
  }
}
