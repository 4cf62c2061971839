/**
 * What a CLI command may touch: its streams, environment and a stop signal.
 * Tests pass their own; `bin/socketkit.js` passes the process's.
 * @module
 */
import type { Readable, Writable } from 'node:stream';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Aborted when the command should stop (SIGINT/SIGTERM in the real CLI, the test in tests). */
  signal: AbortSignal;
}

/** An error that ends a command with a message on stderr and the given exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Exit codes shared by every command (documented in the README). */
export const ExitCode = {
  ok: 0,
  /** A runtime failure: connection refused, timeout, bad reply. */
  failure: 1,
  /** A usage error: unknown option, bad argument. */
  usage: 2,
  /** Interrupted by a signal (128 + SIGINT). */
  interrupted: 130,
} as const;
