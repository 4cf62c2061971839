/**
 * D. J. Bernstein's netstrings (https://cr.yp.to/proto/netstrings.txt).
 *
 * ```
 *  wire:   31 32 3a 68 65 6c 6c 6f 20 77 6f 72 6c 64 21 2c
 *          "1  2" ":" "h  e  l  l  o     w  o  r  l  d  !" ","
 *          └len┘       └──────────── 12 bytes ────────────┘
 *  frame:  "hello world!"            empty frame: "0:,"
 * ```
 *
 * The length is decimal ASCII without leading zeros ("Extra zeros at the front of
 * [len] are prohibited"), then `:`, the bytes, and `,`. Anything else is a
 * `CorruptFrameError`.
 *
 * @module
 */
import { CorruptFrameError, FrameTooLongError } from '../errors.js';
import type { ByteQueue } from '../internal/byte-queue.js';
import { checkBoolean, checkInteger } from '../internal/check-option.js';
import { type Codec, DEFAULT_MAX_FRAME_LENGTH } from './codec.js';
import { frameBytes } from './decode-text.js';

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;
const TRAILER = Buffer.from(',');

/** Options of {@link NetstringCodec}. */
export interface NetstringCodecOptions {
  /** The longest payload accepted, in bytes (default 8 MiB). */
  maxFrameLength?: number;
  /**
   * Skip the bytes of a too-long netstring and carry on with the next one (default
   * `true`). With `false` the error is final. A length with more digits than
   * `maxFrameLength` has is always final (its end is unknown).
   */
  discardOnOverflow?: boolean;
}

/**
 * Decodes and encodes netstrings. The length header is checked digit by digit: more
 * digits than `maxFrameLength` has is a `FrameTooLongError` at once, before the `:`.
 * One instance per stream (it remembers a frame it is discarding).
 *
 * @example
 * ```ts
 * import { FrameReader, NetstringCodec } from 'socketkit/framing';
 *
 * const reader = new FrameReader(new NetstringCodec());
 * reader.push(Buffer.from('12:hello world!,0:,'));
 * reader.drain().map(String); // ['hello world!', '']
 * Buffer.concat(new NetstringCodec().encode('hi')).toString(); // '2:hi,'
 * ```
 */
export class NetstringCodec implements Codec<Buffer, Uint8Array | string> {
  /** The longest payload accepted. */
  readonly maxFrameLength: number;
  readonly #maxDigits: number;
  readonly #recover: boolean;
  /** Bytes of a too-long netstring still to drop. */
  #toDiscard = 0;

  /**
   * @param options see {@link NetstringCodecOptions}.
   * @throws {InvalidArgumentError} on an invalid option.
   */
  constructor(options: NetstringCodecOptions = {}) {
    this.maxFrameLength = checkInteger(
      options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      'NetstringCodec: maxFrameLength',
      0,
    );
    this.#maxDigits = String(this.maxFrameLength).length;
    this.#recover = checkBoolean(
      options.discardOnOverflow ?? true,
      'NetstringCodec: discardOnOverflow',
    );
  }

  /**
   * Takes one netstring off the front of `buf`.
   * @returns its payload, or `null` when incomplete.
   * @throws {FrameTooLongError} when the length exceeds `maxFrameLength`.
   * @throws {CorruptFrameError} on a malformed length, or a missing `,`.
   */
  decode(buf: ByteQueue): Buffer | null {
    if (this.#toDiscard > 0) {
      const n = Math.min(this.#toDiscard, buf.length);
      buf.skip(n);
      this.#toDiscard -= n;
      if (this.#toDiscard > 0) return null;
    }
    // The header is at most maxDigits digits and ':'; peek copies only that much.
    const head = buf.peek(Math.min(buf.length, this.#maxDigits + 1));
    const colon = head.indexOf(COLON);
    const digits = colon === -1 ? head.length : colon;
    for (let i = 0; i < digits; i++) {
      const c = head[i]!;
      if (c < ZERO || c > NINE) {
        throw new CorruptFrameError(
          `netstring length contains 0x${c.toString(16).padStart(2, '0')}, not a digit`,
        );
      }
    }
    if (digits > 1 && head[0] === ZERO) {
      throw new CorruptFrameError('netstring length has a leading zero');
    }
    if (colon === -1) {
      if (head.length > this.#maxDigits) {
        // maxDigits + 1 digits: the length is beyond the limit, and its end unknown,
        // so this is final: nothing says where the next netstring starts.
        throw new FrameTooLongError(
          Number(head.toString('latin1')),
          this.maxFrameLength,
          'netstring (its length has too many digits)',
        );
      }
      return null;
    }
    if (colon === 0) throw new CorruptFrameError('netstring has an empty length');
    const length = Number(head.toString('latin1', 0, colon));
    if (length > this.maxFrameLength) {
      if (this.#recover) {
        this.#toDiscard = colon + 1 + length + 1;
        const n = Math.min(this.#toDiscard, buf.length);
        buf.skip(n);
        this.#toDiscard -= n;
      }
      throw new FrameTooLongError(length, this.maxFrameLength, 'netstring');
    }
    const total = colon + 1 + length + 1;
    if (buf.length < total) return null;
    if (buf.byteAt(total - 1) !== COMMA) {
      throw new CorruptFrameError(
        `netstring of ${length} bytes ends with 0x${buf
          .byteAt(total - 1)
          .toString(16)
          .padStart(2, '0')} instead of ","`,
      );
    }
    buf.skip(colon + 1);
    const payload = buf.take(length);
    buf.skip(1);
    return payload;
  }

  /**
   * At end of stream: a too-long netstring cut short by the end is not reported
   * again; anything else left over is (by the FrameReader) a `TruncatedFrameError`.
   */
  decodeEnd(buf: ByteQueue): Buffer | null {
    const frame = this.decode(buf);
    if (frame === null) this.#toDiscard = 0;
    return frame;
  }

  /** Encodes a payload as `[ "<len>:", payload, "," ]` (three buffers: no copy). */
  encode(payload: Uint8Array | string): Buffer[] {
    const body = frameBytes(payload);
    return [Buffer.from(`${body.length}:`, 'latin1'), body, TRAILER];
  }
}
