/**
 * Errors of the exec service and client. A refusal carries the server's stable
 * `ERR_EXEC_*` reason (docs/exec.md lists them) so scripts can tell "bad secret" from
 * "unknown command" without parsing the message.
 * @module
 */
import { SocketkitError, type SocketkitErrorOptions } from '../../errors.js';

/** Why the server refused a request (the `code` of an error reply). */
export type ExecRefusal =
  | 'ERR_EXEC_BAD_REQUEST'
  | 'ERR_EXEC_AUTH'
  | 'ERR_EXEC_CLOCK_SKEW'
  | 'ERR_EXEC_REPLAY'
  | 'ERR_EXEC_UNKNOWN_COMMAND'
  | 'ERR_EXEC_ARGS'
  | 'ERR_EXEC_BUSY'
  | 'ERR_EXEC_RATE_LIMITED'
  | 'ERR_EXEC_SPAWN';

/** A request the server refused; thrown by the server's checks, rejected by the client. */
export class ExecRefusedError extends SocketkitError {
  /** The server's reason, e.g. `ERR_EXEC_AUTH`. */
  readonly reason: string;
  constructor(
    reason: ExecRefusal | (string & {}),
    message: string,
    options: SocketkitErrorOptions = {},
  ) {
    super(message, 'ERR_EXEC_REFUSED', options);
    this.name = 'ExecRefusedError';
    this.reason = reason;
  }
}

/** The reply was lost in part (UDP) or is not in the exec protocol. */
export class ExecReplyError extends SocketkitError {
  constructor(message: string, options: SocketkitErrorOptions = {}) {
    super(message, 'ERR_EXEC_REPLY', options);
    this.name = 'ExecReplyError';
  }
}
