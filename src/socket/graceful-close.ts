/**
 * `gracefulClose`: how a stream socket closes without losing the end of what it sent.
 *
 * Why not just FIN then `destroy()`: when a socket is closed while the peer's bytes are
 * still arriving (or sit unread in the kernel), the kernel answers with a TCP RST, and
 * the peer may drop the tail of our data that it had not read yet. So, like Apache's
 * "lingering close": send FIN after the queued data, then read and discard whatever the
 * peer still sends until it closes its side too, bounded in time, then release the
 * descriptor.
 *
 * ```
 *  end() ─► 'finish' (FIN out) ──► flushed ─► discard input ─► peer EOF / timeout ─► destroy() ─► closed
 *   │ closeTimeout passes first: the peer is not taking our data ─► reset (TCP RST, see
 *   │ resetConnection): the peer sees an error, never a clean end after a partial reply
 * ```
 * @module
 */
import type * as net from 'node:net';
import { resetConnection } from './reset-connection.js';

/** The bounds of a graceful close. */
export interface GracefulCloseLimits {
  /** Seconds for the whole close (flushing and lingering) before the socket is destroyed. */
  closeTimeout: number;
  /** Seconds to keep discarding input after our FIN, waiting for the peer's EOF; 0 = none. */
  linger: number;
}

/** The two moments of a graceful close. */
export interface GracefulClose {
  /** Our data and FIN were handed to the kernel (or the close gave up on them). */
  flushed: Promise<void>;
  /** The socket is destroyed: the peer closed too, the linger time passed, or it failed. */
  closed: Promise<void>;
}

/**
 * Closes `sock` gracefully (see the module comment); never rejects, never hangs longer
 * than `closeTimeout`. While lingering the socket does not keep the process alive: a
 * program that is done may exit (the kernel then closes it, as Python's would).
 */
export function gracefulClose(sock: net.Socket, limits: GracefulCloseLimits): GracefulClose {
  const deadline = Date.now() + limits.closeTimeout * 1000;
  if (!sock.writableEnded) sock.end();
  const flushed = sock.writableFinished
    ? Promise.resolve()
    : settle(sock, ['finish'], limits.closeTimeout * 1000, false);
  const closed = flushed.then(async () => {
    const lingerMs = Math.min(limits.linger * 1000, deadline - Date.now());
    // Not flushed in time: the peer is not reading, waiting longer cannot help.
    if (!sock.destroyed && sock.writableFinished && !sock.readableEnded && lingerMs > 0) {
      sock.resume(); // discard: the owner's 'data' listener drops bytes once it is closed
      sock.unref();
      await settle(sock, ['end'], lingerMs, true);
    }
    // Our data never all reached the kernel (the peer stopped reading): reset, so the peer
    // sees an error rather than a clean end after a reply cut short.
    if (sock.writableFinished) sock.destroy();
    else resetConnection(sock);
  });
  return { flushed, closed };
}

/** Resolves on one of `events`, on 'close' or 'error', or after `ms`. */
function settle(sock: net.Socket, events: string[], ms: number, unref: boolean): Promise<void> {
  return new Promise<void>((resolve) => {
    const all = [...events, 'close', 'error'];
    const done = (): void => {
      clearTimeout(timer);
      for (const e of all) sock.off(e, done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    if (unref) timer.unref();
    for (const e of all) sock.once(e, done);
  });
}
