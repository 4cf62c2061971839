/**
 * What a netcat session sends: standard input, the `--send` text, or nothing
 * (`--recv-only`); and how a finished session turns into an exit code.
 * @module
 */
import { Readable } from 'node:stream';
import { InvalidArgumentError, type SocketkitError } from '../../errors.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { interpretEscapes } from './escapes.js';
import type { NetcatLog } from './netcat-log.js';
import type { NetcatFlags } from './netcat-options.js';
import { StdinHub } from './stdin-hub.js';
import { formatSeconds } from './time-spec.js';

/** Parses `--send TEXT` once (usage error on a bad escape). */
export function sendText(flags: NetcatFlags): Buffer | null {
  if (flags.send === undefined) return null;
  try {
    return interpretEscapes(flags.send);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

/**
 * A hub for one session's input: a fresh one over the `--send` text, null for
 * `--recv-only`, or `shared` (standard input, shared by every connection).
 */
export function sessionHub(
  flags: NetcatFlags,
  text: Buffer | null,
  shared: StdinHub,
): StdinHub | null {
  if (flags.recvOnly) return null;
  if (text !== null) return new StdinHub(Readable.from([text]), { crlf: flags.crlf === true });
  return shared;
}

/** The shared standard-input hub of a command. */
export function stdinHub(io: CliIO, flags: NetcatFlags): StdinHub {
  return new StdinHub(io.stdin, { crlf: flags.crlf === true });
}

/** The outcome of a session, whatever its transport. */
export interface SessionOutcome {
  end: 'done' | 'idle' | 'aborted' | 'error';
  error: SocketkitError | null;
}

/**
 * Maps how a session ended to nc's exit codes: 0 done, 1 error or idle timeout (a
 * message on stderr), 130 interrupted. With `--send`, the idle timeout is how a reply
 * that the peer does not close ends, so it is a success.
 */
export function outcomeExitCode(
  outcome: SessionOutcome,
  log: NetcatLog,
  idleTimeout: number | null,
  idleIsSuccess: boolean,
): number {
  switch (outcome.end) {
    case 'done':
      return ExitCode.ok;
    case 'aborted':
      return ExitCode.interrupted;
    case 'idle':
      if (idleIsSuccess) {
        log.info(`no more data for ${formatSeconds(idleTimeout ?? 0)}: done.`);
        return ExitCode.ok;
      }
      log.warn(`idle timeout expired (${formatSeconds(idleTimeout ?? 0)} without traffic)`);
      return ExitCode.failure;
    case 'error': {
      const err = outcome.error;
      log.warn(err ? `${err.message} [${err.code}]` : 'connection failed');
      return ExitCode.failure;
    }
  }
}
