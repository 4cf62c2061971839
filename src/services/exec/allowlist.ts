/**
 * The commands an exec server may run, by name. Nothing else runs: a request names an
 * entry, never a path or a command line, and its arguments are appended to the entry's
 * fixed arguments only if each one matches the entry's pattern (none are accepted when
 * the entry has no pattern). A client argument that starts with `-` is an option to the
 * program (`sort --output=/etc/passwd`), so it is refused unless the entry allows
 * options: all of them (`options: true`, `--allow-options NAME='*'`) or a list of exact
 * words (`options: [-n, -r]`, `--allow-options NAME=-n,-r`). Operators write entries as
 * flags or as a config map:
 *
 * ```
 * --allow-command 'echo=/bin/echo'  --allow-args 'echo=[\w .;-]*'  --allow-options 'echo=-n'
 * --allow-command 'disk=/bin/df -h'                 (fixed args split on spaces, no quoting)
 *
 * commands:                                         (serve --config)
 *   echo: { path: /bin/echo, allowArgs: '.*', options: [-n] }
 *   disk: { path: /bin/df, args: [-h], allowArgs: '/[\w/]*', maxArgs: 4 }
 * ```
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { ExecRefusedError } from './exec-error.js';

/** One allowed command. */
export interface AllowedCommand {
  name: string;
  /** Absolute path of the executable (run without a shell). */
  file: string;
  /** Arguments always passed first. */
  fixedArgs: string[];
  /** Each client argument must match this whole pattern; `null`: no client arguments. */
  allowArgs: RegExp | null;
  /** Most client arguments accepted (default 64). */
  maxArgs: number;
  /** Client arguments starting with `-`: all allowed (`true`), these exact words, or none. */
  options: boolean | readonly string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function list(raw: unknown, what: string): string[] {
  if (raw === undefined) return [];
  const items = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(items) || !items.every((x) => typeof x === 'string'))
    throw new InvalidArgumentError(`${what} must be a string or a list of strings`);
  return items;
}

function pattern(source: string, name: string): RegExp {
  try {
    // Anchored, so `[a-z]+` cannot be satisfied by a substring of `a; rm -rf /`.
    return new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new InvalidArgumentError(`allowArgs of ${name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function entry(name: string, file: string, fixedArgs: string[], maxArgs = 64): AllowedCommand {
  if (!NAME.test(name))
    throw new InvalidArgumentError(
      `exec command name ${JSON.stringify(name)} must be 1-64 letters, digits, '.', '_' or '-'`,
    );
  if (!isAbsolute(file))
    throw new InvalidArgumentError(
      `exec command ${name}: ${JSON.stringify(file)} must be an absolute path (no PATH lookup, no shell)`,
    );
  try {
    accessSync(file, constants.X_OK);
  } catch (err) {
    throw new InvalidArgumentError(`exec command ${name}: ${file} is not an executable file`, {
      cause: err,
    });
  }
  if (!Number.isInteger(maxArgs) || maxArgs < 0)
    throw new InvalidArgumentError(`exec command ${name}: maxArgs must be an integer >= 0`);
  return { name, file, fixedArgs, allowArgs: null, maxArgs, options: false };
}

/** Parses `NAME=/abs/path [fixed args…]`. */
export function parseCommandSpec(spec: string): AllowedCommand {
  const eq = spec.indexOf('=');
  if (eq <= 0)
    throw new InvalidArgumentError(
      `--allow-command ${JSON.stringify(spec)}: expected NAME=/absolute/path [fixed args]`,
    );
  const [file = '', ...fixed] = spec
    .slice(eq + 1)
    .trim()
    .split(/\s+/);
  return entry(spec.slice(0, eq), file, fixed);
}

function optionsValue(raw: unknown, name: string): boolean | string[] {
  if (typeof raw === 'boolean') return raw;
  if (Array.isArray(raw) && raw.every((x) => typeof x === 'string' && x.startsWith('-')))
    return raw as string[];
  throw new InvalidArgumentError(
    `commands.${name}.options must be true, false or a list of options starting with '-'`,
  );
}

/** Parses the value of `--allow-options NAME=…`: `*` (any option) or a comma list. */
function optionsSpec(value: string, name: string): boolean | string[] {
  if (value === '*') return true;
  return optionsValue(value === '' ? [] : value.split(','), name);
}

/**
 * Builds the allowlist from flag values (`allowCommand`, `allowArgs`, `allowOptions`)
 * and a config `commands` map (an object, or its JSON text).
 * @throws {InvalidArgumentError} on any malformed entry, duplicate, or missing executable.
 */
export function buildAllowlist(options: {
  allowCommand?: unknown;
  allowArgs?: unknown;
  allowOptions?: unknown;
  commands?: unknown;
}): Map<string, AllowedCommand> {
  const out = new Map<string, AllowedCommand>();
  const add = (e: AllowedCommand): void => {
    if (out.has(e.name)) throw new InvalidArgumentError(`exec command ${e.name} is defined twice`);
    out.set(e.name, e);
  };
  for (const spec of list(options.allowCommand, '--allow-command')) add(parseCommandSpec(spec));
  let commands = options.commands;
  if (typeof commands === 'string') {
    try {
      commands = JSON.parse(commands);
    } catch (err) {
      throw new InvalidArgumentError(`--commands must be a JSON object: ${(err as Error).message}`);
    }
  }
  if (commands !== undefined) {
    if (typeof commands !== 'object' || commands === null || Array.isArray(commands))
      throw new InvalidArgumentError(
        'commands must map names to a path or {path, args, allowArgs, maxArgs, options}',
      );
    for (const [name, value] of Object.entries(commands as Record<string, unknown>)) {
      if (typeof value === 'string') {
        add(entry(name, value, []));
        continue;
      }
      const v = (value ?? {}) as Record<string, unknown>;
      if (typeof v.path !== 'string')
        throw new InvalidArgumentError(`commands.${name}.path must be an absolute path`);
      const e = entry(
        name,
        v.path,
        list(v.args, `commands.${name}.args`),
        (v.maxArgs as number) ?? 64,
      );
      if (v.allowArgs !== undefined) {
        if (typeof v.allowArgs !== 'string')
          throw new InvalidArgumentError(
            `commands.${name}.allowArgs must be a regular expression string`,
          );
        e.allowArgs = pattern(v.allowArgs, name);
      }
      if (v.options !== undefined) e.options = optionsValue(v.options, name);
      add(e);
    }
  }
  for (const spec of list(options.allowArgs, '--allow-args')) {
    const eq = spec.indexOf('=');
    const e = eq > 0 ? out.get(spec.slice(0, eq)) : undefined;
    if (!e)
      throw new InvalidArgumentError(
        `--allow-args ${JSON.stringify(spec)}: expected NAME=REGEX for a NAME given to --allow-command`,
      );
    e.allowArgs = pattern(spec.slice(eq + 1), e.name);
  }
  for (const spec of list(options.allowOptions, '--allow-options')) {
    const eq = spec.indexOf('=');
    const e = eq > 0 ? out.get(spec.slice(0, eq)) : undefined;
    if (!e)
      throw new InvalidArgumentError(
        `--allow-options ${JSON.stringify(spec)}: expected NAME='*' or NAME=-a,-b for a NAME given to --allow-command`,
      );
    e.options = optionsSpec(spec.slice(eq + 1), e.name);
  }
  return out;
}

/**
 * The argv to run for a request: the entry's fixed args, then the client's.
 * @throws {ExecRefusedError} `ERR_EXEC_UNKNOWN_COMMAND` or `ERR_EXEC_ARGS`.
 */
export function resolveCommand(
  allowlist: ReadonlyMap<string, AllowedCommand>,
  command: string,
  args: readonly string[],
): { entry: AllowedCommand; argv: string[] } {
  const e = allowlist.get(command);
  if (!e)
    throw new ExecRefusedError(
      'ERR_EXEC_UNKNOWN_COMMAND',
      `command ${JSON.stringify(command)} is not allowed on this server`,
    );
  if (args.length > 0 && e.allowArgs === null)
    throw new ExecRefusedError('ERR_EXEC_ARGS', `command ${command} takes no arguments here`);
  if (args.length > e.maxArgs)
    throw new ExecRefusedError(
      'ERR_EXEC_ARGS',
      `command ${command} takes at most ${e.maxArgs} arguments, got ${args.length}`,
    );
  args.forEach((arg, i) => {
    if (
      arg.startsWith('-') &&
      e.options !== true &&
      !(e.options !== false && e.options.includes(arg))
    )
      throw new ExecRefusedError(
        'ERR_EXEC_ARGS',
        `argument ${i + 1} of ${command} starts with '-' and ${command} takes no ${e.options === false ? '' : 'such '}options here: ${JSON.stringify(arg.slice(0, 80))}`,
      );
    if (arg.includes('\0') || !(e.allowArgs as RegExp).test(arg))
      throw new ExecRefusedError(
        'ERR_EXEC_ARGS',
        `argument ${i + 1} of ${command} is not allowed: ${JSON.stringify(arg.slice(0, 80))}`,
      );
  });
  return { entry: e, argv: [...e.fixedArgs, ...args] };
}
