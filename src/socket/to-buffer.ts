/**
 * The one conversion of caller data to a `Buffer` every send path uses.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Views `data` as a Buffer without copying (strings are UTF-8 encoded).
 * @throws {InvalidArgumentError} for anything else.
 */
export function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.length);
  throw new InvalidArgumentError('data must be a Uint8Array, Buffer or string');
}
