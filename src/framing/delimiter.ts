/**
 * Frames ended by any one of several delimiters (Netty's `DelimiterBasedFrameDecoder`,
 * tokio's `AnyDelimiterCodec`).
 *
 * ```
 *  delimiters: [ 00 ]  [ "\r\n" ]
 *  wire:    61 62 00 63 0d 0a 0d 0a 64
 *           └ab┘  ↑  └c┘  └──┘  └──┘ └ unterminated (decodeEnd) ┘
 *  frames:  "ab"     "c"       ""        "d"
 * ```
 *
 * The delimiter that starts earliest ends the frame; when two start at the same
 * byte, the longest wins (so `\r\n` beats `\r`). Netty prefers the first listed on
 * such a tie, which would cut `\r\n` in the middle.
 *
 * @module
 */
import { FrameTooLongError, InvalidArgumentError } from '../errors.js';
import type { ByteQueue } from '../internal/byte-queue.js';
import { checkBoolean, checkInteger, checkOneOf } from '../internal/check-option.js';
import { type Codec, DEFAULT_MAX_FRAME_LENGTH } from './codec.js';
import {
  decodeText,
  type FrameEncoding,
  frameBytes,
  type InvalidUtf8Policy,
  type TextFrame,
} from './decode-text.js';

/** Below this size an encoder copies the frame and its delimiter into one buffer. */
const SMALL_FRAME = 1024;

/** Options of {@link DelimiterCodec}. */
export interface DelimiterCodecOptions<E extends FrameEncoding = null> {
  /** The delimiters (strings are UTF-8); at least one, none empty. */
  delimiters: ReadonlyArray<string | Uint8Array>;
  /** The longest frame accepted, delimiter excluded (default 8 MiB). */
  maxFrameLength?: number;
  /** Yield frames with the delimiter that ended them (default `false`). */
  keepDelimiter?: boolean;
  /**
   * After a `FrameTooLongError`, drop input up to the next delimiter and carry on
   * (default `true`). With `false` the error is final.
   */
  discardOnOverflow?: boolean;
  /** `null` (default) yields `Buffer`s, `'utf8'` yields strings. */
  encoding?: E;
  /** Invalid UTF-8 with `encoding: 'utf8'`: `'replace'` with U+FFFD (default) or `'error'`. */
  onInvalidUtf8?: InvalidUtf8Policy;
  /**
   * At end of stream, yield the bytes after the last delimiter as a frame (default
   * `true`, like tokio); with `false` they are reported as a `TruncatedFrameError`.
   */
  allowUnterminated?: boolean;
}

/**
 * Splits a byte stream at any of several delimiters, and encodes frames by
 * appending the first delimiter.
 *
 * A frame longer than the limit raises `FrameTooLongError` as soon as the queued
 * bytes prove it; the decoder then discards up to the next delimiter and carries
 * on. It remembers how far it has scanned, so no byte is searched twice (bar the
 * last `longest delimiter - 1` bytes). One instance per stream.
 *
 * @example
 * ```ts
 * import { DelimiterCodec, FrameReader } from 'socketkit/framing';
 *
 * const codec = new DelimiterCodec({ delimiters: ['\0', '\r\n'], encoding: 'utf8' });
 * const reader = new FrameReader(codec);
 * reader.push(Buffer.from('ab\0c\r\nd'));
 * reader.drain(); // ['ab', 'c']
 * reader.end(); // ['d']
 * codec.encode('x'); // <Buffer 78 00>
 * ```
 */
export class DelimiterCodec<E extends FrameEncoding = null> implements Codec<
  TextFrame<E>,
  string | Uint8Array
> {
  /** The longest frame accepted, delimiter excluded. */
  readonly maxFrameLength: number;
  readonly #delimiters: Buffer[];
  readonly #longest: number;
  readonly #keep: boolean;
  readonly #recover: boolean;
  readonly #encoding: FrameEncoding;
  readonly #onInvalid: InvalidUtf8Policy;
  readonly #allowUnterminated: boolean;
  /** Stream offset (ByteQueue#consumed based) before which no delimiter starts. */
  #scanned = 0;
  #queue: ByteQueue | undefined;
  #discarding = false;
  /** Inside decodeEnd: no more bytes will come, so a short delimiter is final. */
  #atEnd = false;

  /**
   * @param options see {@link DelimiterCodecOptions}.
   * @throws {InvalidArgumentError} on an invalid option (no delimiter, an empty one, …).
   */
  constructor(options: DelimiterCodecOptions<E>) {
    const where = 'DelimiterCodec';
    const list = (options as Partial<DelimiterCodecOptions<E>> | undefined)?.delimiters;
    if (!Array.isArray(list) || list.length === 0) {
      throw new InvalidArgumentError(`${where}: delimiters must be a non-empty array`);
    }
    this.#delimiters = list.map((d, i) => {
      if (typeof d !== 'string' && !(d instanceof Uint8Array)) {
        throw new InvalidArgumentError(`${where}: delimiters[${i}] must be a string or bytes`);
      }
      const bytes = Buffer.from(frameBytes(d)); // a private copy: callers may reuse theirs
      if (bytes.length === 0) throw new InvalidArgumentError(`${where}: delimiters[${i}] is empty`);
      return bytes;
    });
    this.#longest = Math.max(...this.#delimiters.map((d) => d.length));
    this.maxFrameLength = checkInteger(
      options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      `${where}: maxFrameLength`,
      1,
    );
    this.#keep = checkBoolean(options.keepDelimiter ?? false, `${where}: keepDelimiter`);
    this.#recover = checkBoolean(options.discardOnOverflow ?? true, `${where}: discardOnOverflow`);
    this.#encoding = checkOneOf<FrameEncoding>(
      options.encoding === undefined ? null : options.encoding,
      `${where}: encoding`,
      ['utf8', null],
    );
    this.#onInvalid = checkOneOf<InvalidUtf8Policy>(
      options.onInvalidUtf8 === undefined ? 'replace' : options.onInvalidUtf8,
      `${where}: onInvalidUtf8`,
      ['replace', 'error'],
    );
    this.#allowUnterminated = checkBoolean(
      options.allowUnterminated ?? true,
      `${where}: allowUnterminated`,
    );
  }

  /**
   * Takes one frame off the front of `buf`.
   * @returns the frame, or `null` when no delimiter is queued yet.
   * @throws {FrameTooLongError} when a frame exceeds `maxFrameLength`.
   * @throws {CorruptFrameError} with `onInvalidUtf8: 'error'` on invalid UTF-8 (the frame is dropped).
   */
  decode(buf: ByteQueue): TextFrame<E> | null {
    if (this.#queue !== buf) {
      this.#queue = buf;
      this.#scanned = 0;
      this.#discarding = false;
    }
    if (this.#discarding) {
      const [at, len] = this.#find(buf, 0);
      if (at === -1) {
        // Keep the tail: a delimiter may have started arriving.
        buf.skip(Math.max(0, buf.length - (this.#longest - 1)));
        this.#scanned = buf.consumed;
        return null;
      }
      buf.skip(at + len);
      this.#discarding = false;
      this.#scanned = buf.consumed;
    }
    const [at, len] = this.#find(buf, Math.max(0, this.#scanned - buf.consumed));
    if (at === -1) {
      // Delimiters may start in the last (longest - 1) bytes once more arrive.
      this.#scanned = buf.consumed + Math.max(0, buf.length - (this.#longest - 1));
      const atLeast = buf.length - (this.#longest - 1);
      if (atLeast > this.maxFrameLength) {
        if (this.#recover) {
          buf.skip(atLeast);
          this.#scanned = buf.consumed;
          this.#discarding = true;
        }
        throw new FrameTooLongError(atLeast, this.maxFrameLength);
      }
      return null;
    }
    if (at > this.maxFrameLength) {
      if (this.#recover) {
        buf.skip(at + len);
        this.#scanned = buf.consumed;
      }
      throw new FrameTooLongError(at, this.maxFrameLength);
    }
    const raw = buf.take(at + len);
    this.#scanned = buf.consumed;
    return this.#emit(this.#keep ? raw : raw.subarray(0, at));
  }

  /**
   * At end of stream: the remaining delimited frames, then the bytes after the last
   * delimiter (unless `allowUnterminated` is `false`).
   */
  decodeEnd(buf: ByteQueue): TextFrame<E> | null {
    this.#atEnd = true;
    let frame: TextFrame<E> | null;
    try {
      frame = this.decode(buf);
    } finally {
      this.#atEnd = false;
    }
    if (frame !== null) return frame;
    if (this.#discarding) {
      buf.skip(buf.length);
      this.#discarding = false;
      return null;
    }
    if (buf.length === 0 || !this.#allowUnterminated) return null;
    const raw = buf.takeAll();
    this.#scanned = buf.consumed;
    // decode() tolerates up to (longest delimiter - 1) bytes past the limit, in case
    // they begin a delimiter; at the end they are frame bytes.
    if (raw.length > this.maxFrameLength) {
      throw new FrameTooLongError(raw.length, this.maxFrameLength);
    }
    return this.#emit(raw);
  }

  /**
   * Encodes one frame followed by the first delimiter. List the delimiter you want
   * written first, and not one that is a prefix of another (`'\r'` before `'\r\n'`).
   * @throws {InvalidArgumentError} when the frame contains a delimiter (the peer would split it).
   */
  encode(frame: string | Uint8Array): Buffer | Buffer[] {
    const bytes = frameBytes(frame);
    const delimiter = this.#delimiters[0]!;
    // The frame's last bytes and the appended delimiter must not form an earlier match
    // either (delimiters "\n" and "\r\n": a frame ending in "\r" would lose it).
    const edge = Math.max(0, bytes.length - (this.#longest - 1));
    const tail = Buffer.concat([bytes.subarray(edge), delimiter]);
    for (const d of this.#delimiters) {
      const inTail = tail.indexOf(d);
      if (bytes.indexOf(d) !== -1 || (inTail !== -1 && inTail < bytes.length - edge)) {
        throw new InvalidArgumentError(
          `DelimiterCodec.encode: the frame contains the delimiter ${d.toString('hex')} (hex), or ends with part of it`,
        );
      }
    }
    if (bytes.length < SMALL_FRAME) return Buffer.concat([bytes, delimiter]);
    return [bytes, delimiter];
  }

  /**
   * The earliest delimiter at or after `from`: [position, delimiter length], or
   * [-1, 0] when there is none yet, or when the match found may still turn into a
   * longer delimiter (a `\r` at the very end, with `\r\n` also a delimiter).
   */
  #find(buf: ByteQueue, from: number): [number, number] {
    let best = -1;
    let bestLength = 0;
    for (const d of this.#delimiters) {
      const at = buf.indexOf(d, from);
      if (at === -1) continue;
      if (best === -1 || at < best || (at === best && d.length > bestLength)) {
        best = at;
        bestLength = d.length;
      }
    }
    if (best !== -1 && !this.#atEnd && best + this.#longest > buf.length) {
      for (const d of this.#delimiters) {
        if (d.length > bestLength && best + d.length > buf.length && prefixAt(buf, best, d)) {
          return [-1, 0];
        }
      }
    }
    return [best, bestLength];
  }

  #emit(frame: Buffer): TextFrame<E> {
    return decodeText(frame, this.#encoding, this.#onInvalid, 'frame') as TextFrame<E>;
  }
}

/** Whether the queued bytes from `at` to the end are the start of `d`. */
function prefixAt(buf: ByteQueue, at: number, d: Buffer): boolean {
  for (let i = at; i < buf.length; i++) {
    if (buf.byteAt(i) !== d[i - at]) return false;
  }
  return true;
}
