/**
 * Frames of one fixed size (Netty's `FixedLengthFrameDecoder`).
 *
 * ```
 *  frameLength = 3
 *  wire:    41 42 43 44 45 46 47      (arriving as "A" "BC" "DEFG")
 *  frames:  └"ABC"─┘ └"DEF"─┘ └ "G": TruncatedFrameError at end ┘
 * ```
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { ByteQueue } from '../internal/byte-queue.js';
import { checkInteger } from '../internal/check-option.js';
import { type Codec, DEFAULT_MAX_FRAME_LENGTH } from './codec.js';
import { frameBytes } from './decode-text.js';

/** Options of {@link FixedLengthCodec}. */
export interface FixedLengthCodecOptions {
  /** The size of every frame, in bytes (required, at least 1). */
  frameLength: number;
  /** The largest `frameLength` allowed (default 8 MiB): a guard against a typo'd size. */
  maxFrameLength?: number;
}

/**
 * Cuts a byte stream into frames of `frameLength` bytes; the encoder checks sizes.
 * Stateless: one instance may serve many streams.
 *
 * @example
 * ```ts
 * import { FixedLengthCodec, FrameReader } from 'socketkit/framing';
 *
 * const reader = new FrameReader(new FixedLengthCodec({ frameLength: 4 }));
 * reader.push(Buffer.from('abcdefgh'));
 * reader.drain(); // [<Buffer 61 62 63 64>, <Buffer 65 66 67 68>]
 * ```
 */
export class FixedLengthCodec implements Codec<Buffer, Uint8Array | string> {
  /** The size of every frame. */
  readonly frameLength: number;
  /** The largest `frameLength` this codec would accept. */
  readonly maxFrameLength: number;

  /**
   * @param options see {@link FixedLengthCodecOptions}.
   * @throws {InvalidArgumentError} when `frameLength` is not a positive integer or exceeds `maxFrameLength`.
   */
  constructor(options: FixedLengthCodecOptions) {
    const where = 'FixedLengthCodec';
    this.maxFrameLength = checkInteger(
      options?.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      `${where}: maxFrameLength`,
      1,
    );
    this.frameLength = checkInteger(
      options?.frameLength,
      `${where}: frameLength`,
      1,
      this.maxFrameLength,
    );
  }

  /**
   * Takes one frame off the front of `buf`.
   * @returns `frameLength` bytes (zero-copy when they lie in one chunk), or `null`.
   */
  decode(buf: ByteQueue): Buffer | null {
    return buf.length >= this.frameLength ? buf.take(this.frameLength) : null;
  }

  /**
   * Returns the frame's bytes.
   * @throws {InvalidArgumentError} when the frame is not exactly `frameLength` bytes.
   */
  encode(frame: Uint8Array | string): Buffer {
    const bytes = frameBytes(frame);
    if (bytes.length !== this.frameLength) {
      throw new InvalidArgumentError(
        `FixedLengthCodec.encode: frame of ${bytes.length} bytes, expected exactly ${this.frameLength}`,
      );
    }
    return bytes;
  }
}
