/**
 * The option validators of socketkit, one definition each (STYLE principle 5: bad options
 * throw `InvalidArgumentError` synchronously, with a message naming the option, what it
 * may be and what was given). Every layer checks its options with these, so one kind of
 * option gets one message everywhere. Each takes the value first, then the name to show
 * (a codec prefixes its own: `LineCodec: maxFrameLength`).
 * Internal: not exported from `socketkit` or any subpath.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Returns `value` after checking it is an integer from `min` to `max`.
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkInteger(
  value: unknown,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(`${name} must be an integer ${range}, got ${String(value)}`);
  }
  return value;
}

/** @throws {InvalidArgumentError} unless `value` is undefined (left out) or a positive integer. */
export function checkPositiveInt(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** @throws {InvalidArgumentError} unless `port` is an integer in 0..65535. */
export function checkPort(port: unknown, name = 'port'): asserts port is number {
  checkInteger(port, name, 0, 65535);
}

/**
 * @throws {InvalidArgumentError} unless `value` is undefined (left out), a number of
 * seconds >= 0 or, when `nullable`, null (for ever).
 */
export function checkSeconds(value: unknown, name: string, nullable = false): void {
  if (value === undefined || (nullable && value === null)) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be a number of seconds >= 0${nullable ? ' or null' : ''}, got ${String(value)}`,
    );
  }
}

/**
 * Returns `value` after checking it is a number of seconds from `min` to `max`.
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkSecondsBetween(
  value: unknown,
  name: string,
  min: number,
  max: number,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be a number of seconds from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Returns `value` after checking it is a boolean.
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${name} must be a boolean, got ${String(value)}`);
  }
  return value;
}

/**
 * Returns `value` after checking it is one of `allowed`.
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkOneOf<T>(value: unknown, name: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidArgumentError(
      `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}
