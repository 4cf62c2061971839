/**
 * `sendAndClose`: how a "say something, then hang up" service (daytime, qotd, time)
 * ends a TCP connection without losing what it said.
 *
 * Why: if a server closes its socket while the client's bytes are still arriving (a
 * client that sends a line first, as `nc` does when stdin has one), the kernel answers
 * them with a TCP RST, and the client may lose the reply it had not yet read. The
 * socket layer owns the cure — `Socket.close()` is a lingering close (FIN after the
 * data, then discard input until the client closes too, bounded by the socket's
 * `lingerTimeout`/`closeTimeout`, which the server sets from its `closeTimeout`) — so
 * this only sends, closes and waits, and cuts the wait short when the server shuts down.
 * @module
 */
import type { ConnectionContext } from '../server/handler-types.js';
import type { Socket } from '../socket/tcp-socket.js';

/**
 * Sends `data`, then closes gracefully and waits until the connection is fully closed.
 * Never throws for a client that already went away.
 */
export async function sendAndClose(
  conn: Socket,
  data: Uint8Array | string,
  ctx: Pick<ConnectionContext, 'signal'>,
): Promise<void> {
  await conn.sendAll(data);
  const stop = (): void => conn.destroy();
  ctx.signal.addEventListener('abort', stop, { once: true });
  try {
    await conn.close({ wait: true });
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
}
