/**
 * Construction-time option checks shared by the codecs (STYLE principle 5: bad
 * options throw `InvalidArgumentError` synchronously, with a precise message).
 * Internal: not exported from `socketkit/framing`.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Returns `value ?? fallback` after checking it is an integer in [min, max].
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkInteger(
  where: string,
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be an integer from ${min} to ${max}, got ${String(v)}`,
    );
  }
  return v;
}

/**
 * Returns `value ?? fallback` after checking it is one of `allowed`.
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkOneOf<T>(
  where: string,
  name: string,
  value: T | undefined,
  fallback: T,
  allowed: readonly T[],
): T {
  const v = value === undefined ? fallback : value;
  if (!allowed.includes(v)) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Returns `value ?? fallback` after checking it is a boolean.
 * @throws {InvalidArgumentError} when it is not.
 */
export function checkBoolean(
  where: string,
  name: string,
  value: boolean | undefined,
  fallback: boolean,
): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') {
    throw new InvalidArgumentError(`${where}: ${name} must be a boolean, got ${String(v)}`);
  }
  return v;
}
