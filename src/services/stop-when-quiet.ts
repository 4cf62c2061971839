/**
 * `stopWhenQuiet`: how a service that reads until the client closes (echo, discard)
 * takes part in a graceful shutdown without cutting a request short.
 *
 * When the server's shutdown signal aborts, the service keeps serving while bytes are
 * still arriving, and stops reading (`shutdown('read')`, which ends the read loop) once
 * the client has been quiet for `quietMs`. So a client in the middle of sending gets its
 * whole request served, and an idle client (a forgotten `nc`) does not hold the shutdown
 * up until the drain timeout.
 * @module
 */
import type { Socket } from '../socket/tcp-socket.js';

/**
 * Arms the quiet-stop on `signal`; returns a function that disarms it (call it in `finally`).
 * @param quietMs how long without a received byte counts as quiet; default 250 ms.
 */
export function stopWhenQuiet(conn: Socket, signal: AbortSignal, quietMs = 250): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    let seen = conn.raw.bytesRead;
    timer = setInterval(() => {
      const now = conn.raw.bytesRead;
      if (now !== seen) {
        seen = now;
        return;
      }
      clearInterval(timer);
      void conn.shutdown('read').catch(() => {});
    }, quietMs);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    clearInterval(timer);
    signal.removeEventListener('abort', onAbort);
  };
}
