/**
 * `stopWhenQuiet`: how a service that reads until the client closes takes part in a
 * graceful shutdown without holding it up — one that owes nothing for what it reads
 * (discard), or one whose requests have boundaries and are answered as they are read
 * (strftime's lines: a quiet client has had every complete line answered).
 *
 * When the server's shutdown signal aborts, the service keeps reading while bytes are
 * still arriving, and stops reading (`shutdown('read')`, which ends the read loop) once
 * the client has been quiet for `quietMs` and nothing is owed: no reply waits to be
 * written, no received byte waits to be read, and reading was not paused. Quiet means
 * the *client* sent nothing, not that the server stopped reading: a server whose reading
 * is paused (its writes backed up) sees no bytes arrive and must not take that for a
 * quiet client.
 *
 * Not for a service that answers what it reads with no request boundary (echo): a client
 * that merely paused would get a clean end without its later replies. Such a service
 * runs until the client half-closes; the drain timeout resets what is left.
 * @module
 */
import type { Socket } from '../socket/tcp-socket.js';
import { ignoreError } from '../internal/ignore-error.js';

/**
 * Arms the quiet-stop on `signal`; returns a function that disarms it (call it in `finally`).
 * @param quietMs how long without a received byte counts as quiet; default 250 ms.
 */
export function stopWhenQuiet(conn: Socket, signal: AbortSignal, quietMs = 250): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    const raw = conn.raw;
    let seen = raw.bytesRead;
    timer = setInterval(() => {
      const now = raw.bytesRead;
      const owed = raw.writableLength > 0 || conn.receivedAmount > 0 || raw.isPaused();
      if (now !== seen || owed) {
        seen = now;
        return;
      }
      clearInterval(timer);
      void conn.shutdown('read').catch(ignoreError('service:quiet-shutdown'));
    }, quietMs);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearInterval(timer);
    signal.removeEventListener('abort', onAbort);
  };
}
