/**
 * The option validators of socketkit, one definition each (STYLE principle 5: bad options
 * throw `InvalidArgumentError` synchronously, with a message naming the option, the
 * allowed values and what was given). Every layer checks its options with these.
 * Internal: not exported from any barrel.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** @throws {InvalidArgumentError} unless `value` is undefined or a positive integer. */
export function checkPositiveInt(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
}
