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
 * @module
 */
import { CodecContractError, TruncatedFrameError } from '../errors.js';
import { ByteQueue } from '../internal/byte-queue.js';
import type { Decoder } from './codec.js';

/** Buffers a byte stream and hands complete frames out of a decoder. */
export class FrameReader<T> {
  readonly #decoder: Decoder<T>;
  readonly #queue: ByteQueue;

  /**
   * @param decoder the codec that cuts frames.
   * @param queue an existing queue to decode from (a socket's receive buffer), so no
   *   byte is copied or lost when a program switches from raw reads to frames.
   */
  constructor(decoder: Decoder<T>, queue: ByteQueue = new ByteQueue()) {
    this.#decoder = decoder;
    this.#queue = queue;
  }

  /** Bytes received but not yet part of a frame. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** The underlying queue (shared with the socket that owns it, if any). */
  get queue(): ByteQueue {
    return this.#queue;
  }

  /** Adds received bytes. */
  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
  }

  /**
   * The next complete frame, or `null` if more bytes are needed.
   * @throws {DecoderError} when the decoder finds the stream corrupt or a frame too long.
   */
  next(): T | null {
    // Every frame consumes at least one byte (a header, a delimiter), so an empty queue
    // cannot complete one: skip the call on the hot path.
    if (this.#queue.length === 0) return null;
    return this.#step((q) => this.#decoder.decode(q));
  }

  /** Every frame that the queued bytes complete, in order. */
  drain(): T[] {
    const frames: T[] = [];
    for (let f = this.next(); f !== null; f = this.next()) frames.push(f);
    return frames;
  }

  /**
   * Ends the stream: returns the frames still decodable and throws
   * `TruncatedFrameError` if bytes of an unfinished frame remain.
   */
  end(): T[] {
    const frames = this.drain();
    const last = this.#decoder.decodeEnd?.bind(this.#decoder);
    if (last) {
      for (let f = this.#step(last); f !== null; f = this.#step(last)) frames.push(f);
    }
    if (this.#queue.length > 0) {
      const remaining = this.#queue.length;
      this.#queue.clear();
      throw new TruncatedFrameError(remaining);
    }
    return frames;
  }

  #step(fn: (q: ByteQueue) => T | null): T | null {
    const before = this.#queue.length;
    const frame = fn(this.#queue);
    if (frame !== null && this.#queue.length === before) {
      throw new CodecContractError(
        'decoder returned a frame without consuming any bytes (it would loop forever)',
      );
    }
    return frame;
  }
}
