/**
 * Durations on the command line, as ncat reads them: seconds by default, or with a
 * unit suffix — `500ms`, `1.5s`, `2m`, `1h`.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * Parses a duration such as `5`, `500ms`, `2m` into seconds.
 * @param text the option's value.
 * @param option the option's name, for the error message.
 * @throws {InvalidArgumentError} when the text is not a positive duration.
 * @example
 * parseDuration('500ms', '-w'); // 0.5
 */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(
      `${option} expects a positive duration such as 5, 1.5s, 500ms or 2m, not ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * Formats seconds for messages the way a person reads them: `1 s`, `500 ms`.
 * @example
 * formatSeconds(0.5); // '500 ms'
 */
export function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds} s`;
}
