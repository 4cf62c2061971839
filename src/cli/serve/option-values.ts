/**
 * Parsers for `serve` flag and config values: each returns the value or throws a
 * message that names the flag or key, so a typo is found without reading the code.
 * @module
 */
import type { ServiceDefinition } from '../../services/service.js';

/** A bad flag or config value: the message names it. Turned into exit code 2. */
export class ServeUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeUsageError';
  }
}

/** An integer in [min, max], from a flag string or a config number. */
export function parseInteger(name: string, raw: unknown, min: number, max: number): number {
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)
        ? Number(raw)
        : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ServeUsageError(
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** A port number 0 … 65535 (0: the system picks a free one). */
export function parsePort(name: string, raw: unknown): number {
  return parseInteger(name, raw, 0, 65535);
}

/** A positive number of seconds (fractions allowed). */
export function parseSeconds(name: string, raw: unknown): number {
  const n =
    typeof raw === 'number'
      ? raw
      : typeof raw === 'string' && raw.trim() !== ''
        ? Number(raw)
        : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new ServeUsageError(
      `${name} must be a positive number of seconds, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** A non-empty string. */
export function parseString(name: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') {
    throw new ServeUsageError(`${name} must be a non-empty string, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** A boolean (config files only). */
export function parseBoolean(name: string, raw: unknown): boolean {
  if (typeof raw !== 'boolean')
    throw new ServeUsageError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  return raw;
}

/** A list of strings; a single string counts as a list of one. */
export function parseStringList(name: string, raw: unknown): string[] {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x !== '')) {
    throw new ServeUsageError(`${name} must be a list of strings, got ${JSON.stringify(raw)}`);
  }
  return list as string[];
}

/**
 * A service's options: each declared option from `given` (flag strings or config
 * values) run through its `parse`, else its default.
 * @param where how to name a key in errors: `--message` or `services[2].options.message`.
 */
export function resolveServiceOptions(
  service: ServiceDefinition,
  given: Record<string, unknown>,
  where: (key: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const option of service.options ?? []) {
    const raw = given[option.key];
    if (raw === undefined) {
      if (option.defaultValue !== undefined) out[option.key] = option.defaultValue;
      continue;
    }
    try {
      out[option.key] = option.parse ? option.parse(String(raw)) : raw;
    } catch (err) {
      // A parser's message may name its flag ("--bus must be …"); `where` names it
      // already (the flag, or the config key), so it is said once.
      const message = err instanceof Error ? err.message : String(err);
      const flag = /^--[\w-]+/.exec(option.flags)?.[0];
      const bare =
        flag !== undefined && message.startsWith(`${flag} `)
          ? message.slice(flag.length + 1)
          : message;
      throw new ServeUsageError(`${where(option.key)}: ${bare}`);
    }
  }
  return out;
}
