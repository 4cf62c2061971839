/**
 * Turning a frame's bytes into the value a text codec yields. Internal helper of
 * `LineCodec` and `DelimiterCodec`; only its types are public.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import { CorruptFrameError } from '../errors.js';

/** How a text codec yields frames: `'utf8'` for strings, `null` for raw `Buffer`s. */
export type FrameEncoding = 'utf8' | null;

/** The frame type a text codec yields for an encoding: `string` or `Buffer`. */
export type TextFrame<E extends FrameEncoding> = E extends null ? Buffer : string;

/**
 * What a text codec does with bytes that are not valid UTF-8: `'replace'` them with
 * U+FFFD (what `Buffer#toString` does; lenient, the default) or throw a
 * `CorruptFrameError` (`'error'`; the frame is consumed, so the next one still decodes).
 */
export type InvalidUtf8Policy = 'replace' | 'error';

/**
 * Converts a frame's bytes per `encoding`.
 * @throws {CorruptFrameError} with `policy` `'error'` when the bytes are not UTF-8.
 */
export function decodeText(
  frame: Buffer,
  encoding: FrameEncoding,
  policy: InvalidUtf8Policy,
  what: string,
): string | Buffer {
  if (encoding === null) return frame;
  // isUtf8 is a native SIMD check: cheap next to the toString it guards.
  if (policy === 'error' && !isUtf8(frame)) {
    throw new CorruptFrameError(`${what} of ${frame.length} bytes is not valid UTF-8`);
  }
  return frame.toString('utf8');
}

/** The bytes of a frame given to an encoder (strings are encoded as UTF-8). */
export function frameBytes(frame: string | Uint8Array): Buffer {
  if (typeof frame === 'string') return Buffer.from(frame, 'utf8');
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.length);
}
