/**
 * One netcat conversation over a connected stream socket (TCP, TLS, Unix), on the
 * library's `Socket`: standard input to the socket and the socket to standard output at
 * the same time, with backpressure both ways.
 *
 * ```
 *  stdin ──StdinHub──▶ sock.sendAll ─ ─ ─ ▶ peer   (input paused while a send waits for room)
 *  stdout ◀── output.write ◀── for await (sock) ◀ peer (the next chunk is read only once
 *                                                     stdout drained; the socket's receive
 *                                                     buffer pauses the kernel meanwhile)
 * ```
 *
 * Ends, as ncat does, when both directions are done: the peer sent EOF and our
 * input ended (then we shut down our write side, unless `--no-shutdown`). With
 * `exitOnPeerEof` (interactive terminals, `--send`) the peer's EOF alone ends it;
 * with `sendOnly` the end of input alone does. A session that ends well closes the
 * socket gracefully (`Socket.close`: what we sent is flushed first); any other end
 * destroys it.
 * @module
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { fromSystemError, type SocketkitError } from '../../errors.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { InputSink, StdinHub } from './stdin-hub.js';
import { ignoreError } from '../../internal/ignore-error.js';

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

/** Runs the conversation on a connected socket; always resolves, and closes the socket. */
export function runStreamSession(
  sock: Socket,
  options: StreamSessionOptions,
): Promise<StreamSessionResult> {
  const { hub, output } = options;
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let peerEof = false;
    let inputDone = hub === null;
    let settled = false;
    /** The last send: input waits for it (backpressure), the end of input too. */
    let sending: Promise<void> = Promise.resolve();
    let idleTimer: NodeJS.Timeout | undefined;
    let outputBlocked = false;

    const finish = (end: StreamSessionResult['end'], error: SocketkitError | null = null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      hub?.detach(sink);
      options.signal.removeEventListener('abort', onAbort);
      const result = { end, error, sent, received };
      if (end === 'done') void sock.close().then(() => resolve(result));
      else {
        sock.destroy();
        resolve(result);
      }
    };
    const fail = (err: unknown): void => finish('error', fromSystemError(err));

    const check = (): void => {
      if (options.sendOnly && inputDone) finish('done');
      else if (peerEof && (inputDone || options.exitOnPeerEof)) finish('done');
    };

    const sink: InputSink = {
      write(chunk) {
        sent += chunk.length;
        options.dump?.(chunk);
        idleTimer?.refresh();
        sending = sock.sendAll(chunk);
        sending.catch(fail);
        // Handed to the kernel at once (the usual case): read on. Else input waits for
        // this send (onDrain), so stdin never runs ahead of the socket.
        return sock.bufferedAmount === 0;
      },
      onDrain(listener) {
        // A failed send ends the session (`fail` above): input then has nowhere to go.
        sending.then(listener, ignoreError('netcat:send-failed'));
      },
      end() {
        // One turn of the event loop later: a TLS socket ended synchronously in its
        // 'secureConnection' handler (stdin already at EOF) loses the application data
        // that came with the handshake (seen with Node 20), so let it start reading first.
        setImmediate(() => void endInput());
      },
    };

    const endInput = async (): Promise<void> => {
      try {
        await sending;
        // shutdown(SHUT_WR) once everything is written: resolves when it reached the kernel.
        if (!settled && !options.noShutdown) await sock.shutdown('write');
      } catch (err) {
        fail(err);
        return;
      }
      inputDone = true;
      check();
    };

    const receive = async (): Promise<void> => {
      try {
        for await (const chunk of sock) {
          if (settled) return;
          received += chunk.length;
          idleTimer?.refresh();
          if (options.sendOnly) continue;
          options.dump?.(chunk);
          if (!output.write(chunk)) {
            // Our own output is what is slow, not the peer: -i must not fire meanwhile.
            outputBlocked = true;
            await once(output, 'drain', { signal: options.signal });
            outputBlocked = false;
            idleTimer?.refresh();
          }
        }
      } catch (err) {
        if (!settled && !options.signal.aborted) fail(err);
        return;
      }
      peerEof = true;
      check();
    };

    const onAbort = (): void => finish('aborted');
    if (options.signal.aborted) {
      onAbort();
      return;
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.idleTimeout != null) {
      const timer = setTimeout(() => {
        if (outputBlocked) timer.refresh();
        else finish('idle');
      }, options.idleTimeout * 1000);
      idleTimer = timer;
    }
    void receive();
    hub?.attach(sink);
  });
}
