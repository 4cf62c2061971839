/**
 * `connect --exec CMD` / `listen --exec CMD` (ncat's `-e`): the command's stdin and
 * stdout are the connection. It is relay's `exec:` side (`openExec`: argv split without
 * a shell, stderr passed to ours) and relay's engine (`relayPair`) over the library's
 * `Socket`, so it has relay's guarantees:
 *
 * ```
 *  peer ─► socket ─► child's stdin     socket EOF ─► child's stdin ends
 *  peer ◄─ socket ◄─ child's stdout    child's stdout EOF and its exit ─► our FIN
 *                                       (killed by a signal: cut short ─► a reset)
 *  a side that is slow pauses the other (backpressure both ways); both done ─► the
 *  socket closes and the child is waited for (killed after a grace time); a failure on
 *  either side resets the socket and kills the child
 * ```
 *
 * This module is the one place netcat imports the relay engine from.
 * @module
 */
import { fromSystemError } from '../../errors.js';
import { relayPair } from '../../socket/relay-pair.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { CliIO } from '../io.js';
import { openExec } from '../relay/open-address.js';
import type { StreamSessionResult } from './stream-session.js';

/** Options of {@link runExecSession}. */
export interface ExecSessionOptions {
  io: CliIO;
  /** What the connection is, for messages (`127.0.0.1:51234`). */
  label: string;
  /** `-i`: seconds without a byte either way before both sides are closed. */
  idleTimeout: number | null;
  signal: AbortSignal;
}

/**
 * Runs `argv` with `sock` as its standard input and output until both directions are
 * done; always closes the socket. `sent` counts the bytes the command sent to the peer.
 * @throws {CliError} when the command cannot run (the socket is reset first).
 */
export async function runExecSession(
  sock: Socket,
  argv: readonly string[],
  options: ExecSessionOptions,
): Promise<StreamSessionResult> {
  let child: Awaited<ReturnType<typeof openExec>>;
  try {
    child = await openExec([...argv], `exec:${argv[0] ?? ''}`, options.io);
  } catch (err) {
    sock.reset();
    throw err;
  }
  const result = await relayPair(sock, child.side, {
    idleTimeout: options.idleTimeout,
    signal: options.signal,
    labels: [options.label, child.label],
  });
  return {
    end: result.end,
    error: result.error === null ? null : fromSystemError(result.error),
    sent: result.backward,
    received: result.forward,
  };
}
