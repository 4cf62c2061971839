/**
 * The `socketkit` command line. `main()` never calls `process.exit`: it resolves
 * to the exit code, so tests can run any command in-process with their own streams.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { SocketkitError } from '../errors.js';
import { type CommandFactory, loadCommands } from './commands/index.js';
import { CliError, type CliIO, ExitCode } from './io.js';
import { neutralizeTerminalText } from './terminal-text.js';

export type { CliIO };
export { CliError, ExitCode };

const VERSION = '0.1.0';

/**
 * An error message as the one line the CLI prints for it. Messages carry what peers sent
 * (a certificate's CN in Node's hostname-mismatch text, an OpenSSL reason that ends in a
 * newline): no control character or escape sequence reaches the terminal raw, and the
 * message stays on its line.
 */
function errorLine(message: string): string {
  return neutralizeTerminalText(message.trim());
}

/** Builds the top-level program with the given subcommands. */
export function buildProgram(
  io: CliIO,
  setExitCode: (code: number) => void,
  commands: readonly CommandFactory[],
): Command {
  // One prefix for every error the CLI prints: commander's own say `error: …`.
  const output = {
    writeOut: (s: string) => io.stdout.write(s),
    writeErr: (s: string) => io.stderr.write(s),
    outputError: (s: string, write: (s: string) => void) =>
      write(s.replace(/^error: /, 'socketkit: ')),
  };
  const program = new Command('socketkit')
    .description('Sockets, servers and classic network services for Node.js')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput(output)
    .exitOverride();
  for (const factory of commands) {
    const sub = factory(io, setExitCode);
    sub.exitOverride();
    sub.configureOutput(output);
    sub.showHelpAfterError('(run with --help for usage)');
    program.addCommand(sub);
  }
  return program;
}

/**
 * Runs the CLI with `argv` (without the node and script paths).
 * @returns the process exit code: 0 success, 1 failure, 2 usage error.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const commands = await loadCommands(argv);
  const program = buildProgram(
    io,
    (code) => {
      exitCode = code;
    },
    commands,
  );
  if (argv.length === 0) {
    // No command is a usage error (exit 2, help on stderr), as with every other one.
    program.outputHelp({ error: true });
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return ExitCode.ok;
      return ExitCode.usage;
    }
    if (err instanceof CliError) {
      io.stderr.write(`socketkit: ${errorLine(err.message)}\n`);
      return err.exitCode;
    }
    if (err instanceof SocketkitError) {
      io.stderr.write(`socketkit: ${errorLine(err.message)} [${err.code}]\n`);
      return ExitCode.failure;
    }
    io.stderr.write(
      `socketkit: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return ExitCode.failure;
  }
}
