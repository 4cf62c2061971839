/**
 * Frames announced by a binary length field (Netty's `LengthFieldBasedFrameDecoder`
 * and `LengthFieldPrepender`, tokio's `LengthDelimitedCodec`).
 *
 * ```
 *  lengthFieldOffset = 1, lengthFieldLength = 2, lengthAdjustment = 1,
 *  initialBytesToStrip = 3:
 *
 *  BEFORE (8 bytes)                          AFTER (5 bytes)
 *  +------+--------+------+------------+      +------+------------+
 *  | HDR1 | Length | HDR2 |  Payload   | ---> | HDR2 |  Payload   |
 *  | 0xCA | 0x0004 | 0xFE | "ABCD"     |      | 0xFE | "ABCD"     |
 *  +------+--------+------+------------+      +------+------------+
 *   offset└ field ┘└ Length + adjustment = 5 ┘
 *
 *  defaults (offset 0, 4-byte big-endian length of the payload, header stripped):
 *  +------------+------------+                +------------+
 *  | 0000000C   | "HELLO, WORLD" | ---------> | "HELLO, WORLD" |
 *  +------------+------------+                +------------+
 * ```
 *
 * The whole frame, as counted by Netty, is `lengthFieldOffset + lengthFieldLength +
 * value + lengthAdjustment` bytes; `maxFrameLength` bounds that number, and it is
 * checked as soon as the header is in, before any of the body is buffered.
 *
 * @module
 */
import { CorruptFrameError, FrameTooLongError, InvalidArgumentError } from '../errors.js';
import type { ByteQueue } from '../internal/byte-queue.js';
import { checkBoolean, checkInteger, checkOneOf } from '../internal/check-option.js';
import { type Codec, DEFAULT_MAX_FRAME_LENGTH } from './codec.js';
import { frameBytes } from './decode-text.js';

/** The widths a length field may have, in bytes. */
export type LengthFieldLength = 1 | 2 | 3 | 4 | 8;

/** Options of {@link LengthPrefixedCodec}; the names are Netty's. */
export interface LengthPrefixedCodecOptions {
  /** The longest whole frame (header included) accepted, in bytes (default 8 MiB). */
  maxFrameLength?: number;
  /** Bytes before the length field (default 0). */
  lengthFieldOffset?: number;
  /** Width of the length field: 1, 2, 3, 4 (default) or 8 bytes. */
  lengthFieldLength?: LengthFieldLength;
  /** Byte order of the length field (default `'big'`, network order). */
  byteOrder?: 'big' | 'little';
  /**
   * Added to the field's value to get the number of bytes after the field (default 0).
   * Use `-lengthFieldLength` when the length counts the field itself.
   */
  lengthAdjustment?: number;
  /**
   * Bytes dropped from the front of each decoded frame (default
   * `lengthFieldOffset + lengthFieldLength`: the frame is just the payload). 0 keeps the header.
   */
  initialBytesToStrip?: number;
  /**
   * `true` (default): throw `FrameTooLongError` as soon as the header shows the frame
   * is too long. `false`: throw once its bytes have been discarded (Netty's `failFast`).
   */
  failFast?: boolean;
  /**
   * Skip the announced bytes of a too-long frame and carry on with the next frame
   * (default `true`, like Netty). With `false` the error is final.
   */
  discardOnOverflow?: boolean;
}

const MAX_FIELD_VALUE: Record<LengthFieldLength, number> = {
  1: 0xff,
  2: 0xffff,
  3: 0xffffff,
  4: 0xffffffff,
  8: Number.MAX_SAFE_INTEGER,
};

/**
 * Decodes frames that carry their length in a binary header, and encodes payloads
 * by prepending that header.
 *
 * @example
 * ```ts
 * import { FrameReader, LengthPrefixedCodec } from 'socketkit/framing';
 *
 * const codec = new LengthPrefixedCodec({ lengthFieldLength: 2 });
 * const wire = Buffer.concat(codec.encode(Buffer.from('hi'))); // 00 02 68 69
 * const reader = new FrameReader(codec);
 * reader.push(wire.subarray(0, 3));
 * reader.drain(); // []
 * reader.push(wire.subarray(3));
 * reader.drain(); // [<Buffer 68 69>]
 * ```
 */
export class LengthPrefixedCodec implements Codec<Buffer, Uint8Array | string> {
  /** The longest whole frame (header included) accepted. */
  readonly maxFrameLength: number;
  readonly #offset: number;
  readonly #fieldLength: LengthFieldLength;
  readonly #little: boolean;
  readonly #adjustment: number;
  readonly #strip: number;
  readonly #failFast: boolean;
  readonly #recover: boolean;
  /** The header's length: offset + field width. */
  readonly #headerEnd: number;
  /** Bytes of a too-long frame still to drop. */
  #toDiscard = 0;
  /** With `failFast: false`, the error to throw once the discarding is over. */
  #pending: FrameTooLongError | undefined;

  /**
   * @param options see {@link LengthPrefixedCodecOptions}.
   * @throws {InvalidArgumentError} on an invalid option.
   */
  constructor(options: LengthPrefixedCodecOptions = {}) {
    const where = 'LengthPrefixedCodec';
    this.maxFrameLength = checkInteger(
      options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      `${where}: maxFrameLength`,
      1,
    );
    this.#offset = checkInteger(options.lengthFieldOffset ?? 0, `${where}: lengthFieldOffset`, 0);
    this.#fieldLength = checkOneOf<LengthFieldLength>(
      options.lengthFieldLength === undefined ? 4 : options.lengthFieldLength,
      `${where}: lengthFieldLength`,
      [1, 2, 3, 4, 8],
    );
    this.#little =
      checkOneOf(
        options.byteOrder === undefined ? 'big' : options.byteOrder,
        `${where}: byteOrder`,
        ['big', 'little'],
      ) === 'little';
    this.#adjustment = checkInteger(
      options.lengthAdjustment ?? 0,
      `${where}: lengthAdjustment`,
      Number.MIN_SAFE_INTEGER,
    );
    this.#headerEnd = this.#offset + this.#fieldLength;
    this.#strip = checkInteger(
      options.initialBytesToStrip ?? this.#headerEnd,
      `${where}: initialBytesToStrip`,
      0,
    );
    this.#failFast = checkBoolean(options.failFast ?? true, `${where}: failFast`);
    this.#recover = checkBoolean(options.discardOnOverflow ?? true, `${where}: discardOnOverflow`);
    if (this.#headerEnd > this.maxFrameLength) {
      throw new InvalidArgumentError(
        `${where}: maxFrameLength (${this.maxFrameLength}) must be at least lengthFieldOffset + lengthFieldLength (${this.#headerEnd})`,
      );
    }
  }

  /**
   * Takes one frame off the front of `buf`.
   * @returns the frame (minus `initialBytesToStrip` bytes), or `null` when incomplete.
   * @throws {FrameTooLongError} when the header announces more than `maxFrameLength` bytes.
   * @throws {CorruptFrameError} when the announced length is negative or impossible.
   */
  decode(buf: ByteQueue): Buffer | null {
    if (this.#toDiscard > 0 && !this.#discard(buf)) return null;
    if (buf.length < this.#headerEnd) return null;
    const frameLength = this.#frameLength(buf);
    if (frameLength > this.maxFrameLength) {
      const error = new FrameTooLongError(frameLength, this.maxFrameLength);
      if (!this.#recover) throw error;
      this.#toDiscard = frameLength;
      if (this.#failFast) {
        this.#discard(buf);
        throw error;
      }
      this.#pending = error;
      this.#discard(buf);
      return null;
    }
    if (buf.length < frameLength) return null;
    buf.skip(this.#strip);
    return buf.take(frameLength - this.#strip);
  }

  /**
   * At end of stream. With `failFast: false`, reports a too-long frame whose
   * discarding the end of stream cut short.
   * @throws {FrameTooLongError} as above.
   */
  decodeEnd(buf: ByteQueue): Buffer | null {
    const frame = this.decode(buf);
    if (frame !== null || this.#toDiscard === 0) return frame;
    this.#toDiscard = 0;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) throw pending;
    return null;
  }

  /**
   * Encodes one payload as `[length field, payload]`: two buffers, so the payload is
   * never copied (write them with `writev`, or `writeFrame`). The field holds
   * `payload.length - lengthAdjustment`. Only for `lengthFieldOffset: 0`: other
   * headers are the application's to write.
   * @throws {InvalidArgumentError} when the length does not fit the field, or the
   *   codec has a `lengthFieldOffset`.
   */
  encode(payload: Uint8Array | string): Buffer[] {
    if (this.#offset !== 0) {
      throw new InvalidArgumentError(
        'LengthPrefixedCodec.encode needs lengthFieldOffset 0; write the bytes before the length field yourself',
      );
    }
    const body = frameBytes(payload);
    const value = body.length - this.#adjustment;
    const limit = MAX_FIELD_VALUE[this.#fieldLength];
    if (value < 0 || value > limit) {
      throw new InvalidArgumentError(
        `LengthPrefixedCodec.encode: a ${body.length}-byte payload gives a length of ${value}, which a ${this.#fieldLength}-byte field cannot hold`,
      );
    }
    const header = Buffer.allocUnsafe(this.#fieldLength);
    if (this.#fieldLength === 8) {
      const high = Math.floor(value / 2 ** 32);
      const low = value >>> 0;
      if (this.#little) {
        header.writeUInt32LE(low, 0);
        header.writeUInt32LE(high, 4);
      } else {
        header.writeUInt32BE(high, 0);
        header.writeUInt32BE(low, 4);
      }
    } else if (this.#little) {
      header.writeUIntLE(value, 0, this.#fieldLength);
    } else {
      header.writeUIntBE(value, 0, this.#fieldLength);
    }
    return [header, body];
  }

  /** Reads the header: the whole frame's length. */
  #frameLength(buf: ByteQueue): number {
    let value: number;
    if (this.#fieldLength === 8) {
      // Two 32-bit halves, so a value past 2^53 is seen exactly (Netty reads it as a
      // signed long: a negative length).
      const first = buf.readUInt(this.#offset, 4, this.#little);
      const second = buf.readUInt(this.#offset + 4, 4, this.#little);
      const high = this.#little ? second : first;
      const low = this.#little ? first : second;
      if (high >= 2 ** 21) {
        throw new CorruptFrameError(
          `length field 0x${high.toString(16).padStart(8, '0')}${low.toString(16).padStart(8, '0')} is not a possible length (2^53 or more, or negative as a signed 64-bit integer)`,
        );
      }
      value = high * 2 ** 32 + low;
    } else {
      value = buf.readUInt(this.#offset, this.#fieldLength, this.#little);
    }
    const frameLength = value + this.#adjustment + this.#headerEnd;
    if (frameLength < this.#headerEnd) {
      throw new CorruptFrameError(
        `length field ${value} with lengthAdjustment ${this.#adjustment} gives a frame shorter than its own ${this.#headerEnd}-byte header`,
      );
    }
    if (frameLength < this.#strip && frameLength <= this.maxFrameLength) {
      throw new CorruptFrameError(
        `frame of ${frameLength} bytes is shorter than initialBytesToStrip (${this.#strip})`,
      );
    }
    return frameLength;
  }

  /** Drops bytes of a too-long frame; `true` once all are gone (then a pending error is thrown). */
  #discard(buf: ByteQueue): boolean {
    const n = Math.min(this.#toDiscard, buf.length);
    buf.skip(n);
    this.#toDiscard -= n;
    if (this.#toDiscard > 0) return false;
    const pending = this.#pending;
    if (pending) {
      this.#pending = undefined;
      throw pending;
    }
    return true;
  }
}
