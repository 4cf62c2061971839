/**
 * Argument parsers shared by the time clients (`time`, `sntp`, `rdate`): each turns a
 * bad value into a usage error (exit 2) that names the flag.
 * @module
 */
import { CliError, ExitCode } from '../io.js';

/** A TCP/UDP port, 1–65535. */
export function parsePort(text: string, what = 'port'): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new CliError(
      `${what} must be an integer in [1, 65535], got ${JSON.stringify(text)}`,
      ExitCode.usage,
    );
  }
  return port;
}

/** A positive number of seconds. */
export function parseSeconds(text: string, what = '--timeout'): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new CliError(
      `${what} must be a number of seconds in (0, 86400], got ${JSON.stringify(text)}`,
      ExitCode.usage,
    );
  }
  return seconds;
}

/** A signed offset in seconds with its sign always shown: `+0.000123`. */
export function formatOffset(seconds: number, digits = 6): string {
  return `${seconds >= 0 ? '+' : '-'}${Math.abs(seconds).toFixed(digits)}`;
}
