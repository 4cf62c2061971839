/**
 * Parsers for a service's numeric options (`ServiceOption.parse`: the text of a `serve`
 * flag, or of a config value), shared by every service so one kind of value is read and
 * refused the same way everywhere. The message names the flag; `serve` turns it into a
 * usage error.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** A parser of a number in [min, max] (no upper bound when `max` is left out). */
export function numberOption(name: string, min: number, max?: number): (raw: string) => number {
  return (raw) => parse(name, raw, min, max, false);
}

/** A parser of an integer in [min, max] (no upper bound when `max` is left out). */
export function integerOption(name: string, min: number, max?: number): (raw: string) => number {
  return (raw) => parse(name, raw, min, max, true);
}

function parse(
  name: string,
  raw: string,
  min: number,
  max: number | undefined,
  integer: boolean,
): number {
  const n = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(n) ||
    n < min ||
    (max !== undefined && n > max) ||
    (integer && !Number.isInteger(n))
  ) {
    const range = max === undefined ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new InvalidArgumentError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}
