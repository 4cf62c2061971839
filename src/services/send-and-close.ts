/**
 * `sendAndClose`: how a "say something, then hang up" service (daytime, qotd, time)
 * ends a TCP connection without losing what it said.
 *
 * Why: if a server closes its socket while the client's bytes are still arriving (a
 * client that sends a line first, as `nc` does when stdin has one), the kernel answers
 * them with a TCP RST, and the client may lose the reply it had not yet read. So, like
 * Apache's "lingering close": send, shut down our side (FIN after the data), then read
 * and drop what the client still sends until it closes too — bounded in time and bytes,
 * and cut short when the server shuts down.
 * @module
 */
import type { ConnectionContext } from '../server/handler-types.js';
import type { Socket } from '../socket/tcp-socket.js';

/** Limits of the lingering phase. */
export interface LingerOptions {
  /** Seconds to wait for the client to close its side; default 2. */
  seconds?: number;
  /** Bytes read and dropped at most; default 64 KiB. */
  maxBytes?: number;
}

/**
 * Sends `data`, half-closes, and waits (bounded) for the client to close. Never throws
 * for a client that already went away.
 */
export async function sendAndClose(
  conn: Socket,
  data: Uint8Array | string,
  ctx: Pick<ConnectionContext, 'signal'>,
  options: LingerOptions = {},
): Promise<void> {
  await conn.sendAll(data);
  try {
    await conn.shutdown('write');
  } catch {
    return; // the client is gone: nothing left to protect
  }
  const stop = (): void => void conn.shutdown('read').catch(() => {});
  ctx.signal.addEventListener('abort', stop, { once: true });
  conn.setTimeout(options.seconds ?? 2);
  let budget = options.maxBytes ?? 64 * 1024;
  try {
    while (budget > 0) {
      const chunk = await conn.recv(Math.min(budget, 16 * 1024));
      if (chunk.length === 0) break;
      budget -= chunk.length;
    }
  } catch {
    // Timeout or reset: either way the reply was delivered or cannot be.
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
}
