/**
 * Newline-terminated text lines (Netty's `LineBasedFrameDecoder`, tokio's `LinesCodec`).
 *
 * ```
 *  wire:   "h" "i" \n  "y" "o" \r \n  "e" "n" "d"   <EOF>
 *          68  69  0a  79  6f  0d 0a  65  6e  64
 *          └─ line ─┘  └─── line ───┘ └ unterminated: decodeEnd ┘
 *  frames: "hi"        "yo"           "end"        (keepDelimiter: "hi\n", "yo\r\n", "end")
 * ```
 *
 * A line ends at `\n`; a `\r` just before it is part of the delimiter. A lone `\r`
 * is ordinary data. `maxFrameLength` counts the line without its delimiter.
 *
 * @module
 */
import { FrameTooLongError, InvalidArgumentError } from '../errors.js';
import type { ByteQueue } from '../internal/byte-queue.js';
import { checkBoolean, checkInteger, checkOneOf } from '../internal/check-option.js';
import { type Codec, DEFAULT_MAX_LINE_LENGTH } from './codec.js';
import {
  decodeText,
  type FrameEncoding,
  frameBytes,
  type InvalidUtf8Policy,
  type TextFrame,
} from './decode-text.js';

const LF = 0x0a;
const CR = 0x0d;
/** Below this size an encoder copies the frame and its delimiter into one buffer. */
const SMALL_FRAME = 1024;

/** Options of {@link LineCodec}. */
export interface LineCodecOptions<E extends FrameEncoding = 'utf8'> {
  /**
   * The longest line accepted, in bytes, delimiter excluded
   * (default {@link DEFAULT_MAX_LINE_LENGTH}, 64 KiB).
   */
  maxFrameLength?: number;
  /** Alias of `maxFrameLength`, after tokio's `max_length` and Python's `readline(limit)`. */
  maxLineLength?: number;
  /** Yield lines with their `\n` or `\r\n` (default `false`: stripped). */
  keepDelimiter?: boolean;
  /**
   * After a `FrameTooLongError`, drop input up to the next `\n` and carry on with the
   * line after it (default `true`, like tokio). With `false` the error is final: the
   * bytes stay queued and every later `decode` throws again.
   */
  discardOnOverflow?: boolean;
  /** `'utf8'` (default) yields strings, `null` yields `Buffer`s. */
  encoding?: E;
  /** Invalid UTF-8 in a line: `'replace'` with U+FFFD (default) or `'error'`. */
  onInvalidUtf8?: InvalidUtf8Policy;
  /**
   * At end of stream, yield a last line that has no `\n` (default `true`, like
   * Python's file iteration); with `false` it is reported as a `TruncatedFrameError`.
   */
  allowUnterminated?: boolean;
  /** What the encoder appends: `'\n'` (default) or `'\r\n'` (telnet, SMTP, HTTP). */
  newline?: '\n' | '\r\n';
}

/**
 * Splits a byte stream into lines ending in `\n` or `\r\n`, and encodes lines.
 *
 * It remembers how far it has scanned, so bytes of a long line that arrives in many
 * chunks are searched once (tokio's `next_index`). A line longer than the limit
 * raises `FrameTooLongError` as soon as the bytes seen prove it; the decoder then
 * discards up to the next `\n` and carries on, so memory stays bounded by the limit
 * plus one chunk. A decoder keeps per-stream state: use one instance per stream.
 *
 * @example
 * ```ts
 * import { FrameReader, LineCodec } from 'socketkit/framing';
 *
 * const reader = new FrameReader(new LineCodec());
 * reader.push(Buffer.from('HELO a\r\nQUIT'));
 * reader.drain(); // ['HELO a']
 * reader.push(Buffer.from('\n'));
 * reader.drain(); // ['QUIT']
 * new LineCodec({ newline: '\r\n' }).encode('QUIT'); // <Buffer 51 55 49 54 0d 0a>
 * ```
 */
export class LineCodec<E extends FrameEncoding = 'utf8'> implements Codec<
  TextFrame<E>,
  string | Uint8Array
> {
  /** The longest line accepted, delimiter excluded. */
  readonly maxFrameLength: number;
  readonly #keep: boolean;
  readonly #recover: boolean;
  readonly #encoding: FrameEncoding;
  readonly #onInvalid: InvalidUtf8Policy;
  readonly #allowUnterminated: boolean;
  readonly #newline: Buffer;
  /** Stream offset (ByteQueue#consumed based) up to which no `\n` exists. */
  #scanned = 0;
  #queue: ByteQueue | undefined;
  #discarding = false;

  /**
   * @param options see {@link LineCodecOptions}.
   * @throws {InvalidArgumentError} on an invalid option.
   */
  constructor(options: LineCodecOptions<E> = {}) {
    const where = 'LineCodec';
    if (
      options.maxFrameLength !== undefined &&
      options.maxLineLength !== undefined &&
      options.maxFrameLength !== options.maxLineLength
    ) {
      throw new InvalidArgumentError(
        `${where}: maxLineLength and maxFrameLength are the same option; give only one`,
      );
    }
    this.maxFrameLength = checkInteger(
      options.maxFrameLength ?? options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
      `${where}: maxFrameLength`,
      1,
    );
    this.#keep = checkBoolean(options.keepDelimiter ?? false, `${where}: keepDelimiter`);
    this.#recover = checkBoolean(options.discardOnOverflow ?? true, `${where}: discardOnOverflow`);
    this.#encoding = checkOneOf<FrameEncoding>(
      options.encoding === undefined ? 'utf8' : options.encoding,
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
    const newline = checkOneOf(
      options.newline === undefined ? '\n' : options.newline,
      `${where}: newline`,
      ['\n', '\r\n'],
    );
    this.#newline = Buffer.from(newline, 'latin1');
  }

  /**
   * Takes one line off the front of `buf`.
   * @returns the line, or `null` when no complete line is queued yet.
   * @throws {FrameTooLongError} when a line exceeds `maxFrameLength`.
   * @throws {CorruptFrameError} with `onInvalidUtf8: 'error'` on invalid UTF-8 (the line is dropped).
   */
  decode(buf: ByteQueue): TextFrame<E> | null {
    if (this.#queue !== buf) {
      // A new queue: offsets remembered for another one mean nothing here.
      this.#queue = buf;
      this.#scanned = 0;
      this.#discarding = false;
    }
    if (this.#discarding) {
      const nl = buf.indexOf(LF);
      if (nl === -1) {
        buf.skip(buf.length);
        return null;
      }
      buf.skip(nl + 1);
      this.#discarding = false;
    }
    const from = Math.max(0, this.#scanned - buf.consumed);
    const nl = from < buf.length ? buf.indexOf(LF, from) : -1;
    if (nl === -1) {
      this.#scanned = buf.consumed + buf.length;
      this.#checkUnterminated(buf);
      return null;
    }
    const max = this.maxFrameLength;
    // Only a line longer than the limit needs its \r checked before taking it.
    if (nl > max) {
      const length = buf.byteAt(nl - 1) === CR ? nl - 1 : nl;
      if (length > max) {
        if (this.#recover) buf.skip(nl + 1);
        throw new FrameTooLongError(length, max, 'line');
      }
    }
    const raw = buf.take(nl + 1);
    this.#scanned = buf.consumed;
    return this.#emit(raw, nl > 0 && raw[nl - 1] === CR ? nl - 1 : nl);
  }

  /**
   * At end of stream: the remaining complete lines, then the unterminated last line
   * (unless `allowUnterminated` is `false`).
   */
  decodeEnd(buf: ByteQueue): TextFrame<E> | null {
    const line = this.decode(buf);
    if (line !== null) return line;
    if (this.#discarding) {
      // The tail of a line already reported as too long.
      buf.skip(buf.length);
      this.#discarding = false;
      return null;
    }
    if (buf.length === 0 || !this.#allowUnterminated) return null;
    const raw = buf.takeAll();
    this.#scanned = buf.consumed;
    const last = raw.length - 1;
    return this.#emit(raw, raw[last] === CR ? last : raw.length);
  }

  /**
   * Encodes one line: its UTF-8 (or raw) bytes and the newline.
   * @throws {InvalidArgumentError} when the line contains `\n` or ends in `\r`
   *   (the peer would split it or eat the `\r`).
   */
  encode(line: string | Uint8Array): Buffer | Buffer[] {
    const bytes = frameBytes(line);
    if (bytes.indexOf(LF) !== -1 || bytes[bytes.length - 1] === CR) {
      throw new InvalidArgumentError(
        'LineCodec.encode: a line must not contain "\\n" nor end with "\\r"',
      );
    }
    if (bytes.length < SMALL_FRAME) return Buffer.concat([bytes, this.#newline]);
    return [bytes, this.#newline];
  }

  #emit(raw: Buffer, contentLength: number): TextFrame<E> {
    const frame = this.#keep ? raw : raw.subarray(0, contentLength);
    return decodeText(frame, this.#encoding, this.#onInvalid, 'line') as TextFrame<E>;
  }

  /** No `\n` queued: fail as soon as the queued bytes alone exceed the limit. */
  #checkUnterminated(buf: ByteQueue): void {
    const n = buf.length;
    const max = this.maxFrameLength;
    // One byte of slack when it is a \r: it may belong to a \r\n still on its way.
    if (n > max + 1 || (n === max + 1 && buf.byteAt(n - 1) !== CR)) {
      if (this.#recover) {
        buf.skip(n);
        this.#discarding = true;
      }
      throw new FrameTooLongError(n, max, 'line');
    }
  }
}
