/**
 * Runs a {@link ChatSession} over a connected stream: bytes come from an async iterable
 * (socketkit's `Socket`, or a plain `net.Socket`), lines go to a Node socket.
 * @module
 */
import type { Socket as NetSocket } from 'node:net';
import type { LineSink } from './client-session.js';
import type { ChatHub } from './hub.js';

/** Characters a sink batches before handing them to the socket without waiting. */
const FLUSH_AT = 16 * 1024;

/**
 * A {@link LineSink} writing to a Node socket; writes after close are dropped, never thrown.
 *
 * Lines written in one event-loop turn (a bus batch delivers many) are joined and handed
 * to the socket in ONE `write()` from a microtask: a write per line per client costs a
 * syscall each and was most of a busy chat's CPU. Nothing waits for a timer, so a lone
 * line still leaves at once. Past {@link FLUSH_AT} characters the batch is handed over
 * at once, so `bufferedAmount` (the socket's own queue, what the slow-consumer cap
 * measures) stays exact: a batch not yet handed to the kernel says nothing about the
 * client's reading speed.
 */
export function socketSink(sock: NetSocket): LineSink {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (sock.writable && !sock.destroyed) sock.write(text);
  };
  return {
    write(text) {
      if (!sock.writable || sock.destroyed) return;
      pending += text;
      if (pending.length >= FLUSH_AT) {
        flush();
        return;
      }
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    get bufferedAmount() {
      return sock.writableLength;
    },
    end() {
      flush();
      if (!sock.destroyed) sock.end();
    },
    destroy() {
      pending = '';
      sock.destroy();
    },
  };
}

/**
 * Serves one chat client until it leaves.
 * @param input the client's bytes (`for await` over a socketkit `Socket` or a `net.Socket`).
 * @param sock the Node socket to write to and close.
 * @param remote the client's address, for logs.
 * @param signal aborted when the server shuts down: the client is told and leaves.
 * @returns a promise that settles once the client has left and the socket is closed.
 */
export async function serveChatConnection(
  hub: ChatHub,
  input: AsyncIterable<Buffer>,
  sock: NetSocket,
  remote: string,
  signal?: AbortSignal,
): Promise<void> {
  const session = hub.accept(socketSink(sock), remote);
  if (session !== null) {
    sock.setNoDelay(true);
    const onAbort = (): void =>
      session.close('server shutting down', { notice: 'the server is shutting down' });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    session.done.then(() => signal?.removeEventListener('abort', onAbort));
    sock.once('close', () => session.abort('connection closed'));
    // Reading runs on its own: the session may end first (/quit, slow consumer, idle).
    const reading = (async () => {
      try {
        for await (const chunk of input) {
          session.receive(chunk);
          if (!session.open) return;
        }
        session.end();
      } catch (err) {
        // ECONNRESET, EPIPE, …: an abrupt leave, never a crash.
        session.abort(err instanceof Error ? err.message : String(err));
      }
    })();
    await session.done;
    await closeGracefully(sock);
    await reading;
    return;
  }
  await closeGracefully(sock);
}

/** Waits for the peer to close after our FIN, but not forever. */
async function closeGracefully(sock: NetSocket): Promise<void> {
  if (sock.destroyed) return;
  await new Promise<void>((resolve) => {
    sock.once('close', () => resolve());
    // A client that never closes its side must not keep the handler alive.
    setTimeout(() => sock.destroy(), 2000).unref();
  });
}
