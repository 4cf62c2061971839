/**
 * One netcat conversation over a connected stream socket (TCP, TLS, Unix): standard
 * input to the socket and the socket to standard output at the same time, with
 * backpressure both ways.
 *
 * ```
 *  stdin ──StdinHub──▶ sock.write ─ ─ ─ ▶ peer      (input paused while sock is behind)
 *  stdout ◀── output.write ◀── sock 'data' ◀ peer    (sock paused while stdout is behind)
 * ```
 *
 * Ends, as ncat does, when both directions are done: the peer sent EOF and our
 * input ended (then we shut down our write side, unless `--no-shutdown`). With
 * `exitOnPeerEof` (interactive terminals, `--send`) the peer's EOF alone ends it;
 * with `sendOnly` the end of input alone does.
 * @module
 */
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { type ErrorAddress, fromSystemError, type SocketkitError } from '../../errors.js';
import type { InputSink, StdinHub } from './stdin-hub.js';

/** Options of {@link runStreamSession}. */
export interface StreamSessionOptions {
  /** Where input comes from; null for `--recv-only` (we never send). */
  hub: StdinHub | null;
  /** Where the peer's bytes go. */
  output: Writable;
  /** `--send-only`: ignore what the peer sends; end when input is sent. */
  sendOnly?: boolean;
  /** `--no-shutdown`: do not half-close when input ends. */
  noShutdown?: boolean;
  /** End when the peer sends EOF even if input has not ended. */
  exitOnPeerEof?: boolean;
  /** `-i`: end after this many seconds without traffic either way. */
  idleTimeout?: number | null;
  /** Called with every chunk sent or received (`-x`). */
  dump?: ((chunk: Buffer) => void) | null;
  /** The address for error messages. */
  where: ErrorAddress;
  signal: AbortSignal;
}

/** How a session ended. */
export interface StreamSessionResult {
  /** `done`: both sides finished; `idle`: `-i` expired; `aborted`: the signal fired; `error`. */
  end: 'done' | 'idle' | 'aborted' | 'error';
  error: SocketkitError | null;
  sent: number;
  received: number;
}

/** Runs the conversation on a connected socket; always resolves, and destroys the socket. */
export function runStreamSession(
  sock: Socket,
  options: StreamSessionOptions,
): Promise<StreamSessionResult> {
  const { hub, output, where } = options;
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let peerEof = false;
    let inputDone = hub === null;
    let settled = false;

    const finish = (end: StreamSessionResult['end'], error: SocketkitError | null = null): void => {
      if (settled) return;
      settled = true;
      hub?.detach(sink);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
      sock.off('close', onClose);
      sock.off('timeout', onTimeout);
      options.signal.removeEventListener('abort', onAbort);
      // Errors after the end (a late RST) must not become unhandled 'error' events.
      sock.on('error', () => {});
      sock.destroy();
      resolve({ end, error, sent, received });
    };

    const check = (): void => {
      if (options.sendOnly && inputDone) finish('done');
      else if (peerEof && (inputDone || options.exitOnPeerEof)) finish('done');
    };

    const sink: InputSink = {
      write(chunk) {
        sent += chunk.length;
        options.dump?.(chunk);
        return sock.write(chunk);
      },
      onDrain(listener) {
        sock.once('drain', listener);
      },
      end() {
        // One turn of the event loop later: a TLS socket ended synchronously in its
        // 'secureConnection' handler (stdin already at EOF) loses the application data
        // that came with the handshake (seen with Node 20), so let it start reading first.
        setImmediate(endInput);
      },
    };

    const endInput = (): void => {
      if (settled) return;
      if (options.noShutdown) {
        // Keep the write side open, but make sure what was written leaves Node's buffer.
        if (sock.writableLength === 0) {
          inputDone = true;
          check();
        } else {
          sock.once('drain', () => {
            inputDone = true;
            check();
          });
        }
        return;
      }
      // shutdown(SHUT_WR) once everything is written; 'finish' = flushed to the kernel.
      sock.end(() => {
        inputDone = true;
        check();
      });
    };

    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (options.sendOnly) return;
      options.dump?.(chunk);
      if (!output.write(chunk)) {
        sock.pause();
        output.once('drain', () => sock.resume());
      }
    };
    const onEnd = (): void => {
      peerEof = true;
      check();
    };
    const onError = (err: Error): void => finish('error', fromSystemError(err, where));
    // 'close' without 'end' or 'error' happens when the socket is destroyed under us.
    const onClose = (): void => finish('done');
    const onTimeout = (): void => finish('idle');
    const onAbort = (): void => finish('aborted');

    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onError);
    sock.on('close', onClose);
    if (options.idleTimeout != null) {
      sock.setTimeout(options.idleTimeout * 1000);
      sock.on('timeout', onTimeout);
    }
    if (options.signal.aborted) {
      onAbort();
      return;
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    hub?.attach(sink);
  });
}
