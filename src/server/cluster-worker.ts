/**
 * The worker side of a `ClusterSupervisor`: listens every server the factory made, tells
 * the primary what listens (by key), obeys its shutdown, and carries relayed Unix
 * datagrams both ways.
 * @module
 */
import type { BaseServer } from './base-server.js';
import { errorShape, isMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';
import { UnixDatagramServer } from './unix-datagram-server.js';
import { UnixStreamServer } from './unix-stream-server.js';
import { assumePathClaimed, relayThrough } from './worker-arrangements.js';

/**
 * Listens every server, in key order, reporting each to the primary; a listen error is
 * reported too (and thrown). From then on a `shutdown` message from the primary calls
 * `shutdown(drainTimeout)`, and the primary hears `closed` once it settled.
 */
export async function listenInWorker(
  servers: ReadonlyMap<string, BaseServer>,
  shutdown: (drainTimeout: number | undefined) => Promise<void>,
): Promise<void> {
  const relays = new Map<string, (data: Buffer, path: string) => void>();
  for (const [key, server] of servers) {
    // The primary claimed the path (its check would probe a sibling's socket).
    if (server instanceof UnixStreamServer) assumePathClaimed(server);
    // node:cluster cannot share this socket: the primary owns it and relays.
    else if (server instanceof UnixDatagramServer) {
      relayThrough(server, {
        onDatagram: (receive) => relays.set(key, receive),
        sendTo: (data, path) =>
          send({ socketkit: 'reply', key, data: data.toString('base64'), path }),
      });
    }
  }
  let closing: Promise<void> | null = null;
  // Ctrl-C reaches the whole process group: leave it to the primary, whose shutdown
  // drains the workers gracefully, instead of every worker dying mid-request.
  process.on('SIGINT', () => {});
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    const m = message as ToWorker;
    // The primary is ours, but a message that does not have the shape is dropped rather
    // than allowed to throw in this listener (an uncaught exception would kill the worker).
    if (m.socketkit === 'datagram') {
      if (typeof m.key !== 'string' || typeof m.data !== 'string' || typeof m.path !== 'string')
        return;
      relays.get(m.key)?.(Buffer.from(m.data, 'base64'), m.path);
    } else if (m.socketkit === 'shutdown') {
      const drain = m.drainTimeout;
      if (drain !== null && (typeof drain !== 'number' || !(drain >= 0))) return;
      // A second request (drain 0) cuts the running drain short.
      const stopped = shutdown(drain ?? undefined);
      const closed = (): void => send({ socketkit: 'closed' });
      closing ??= stopped.then(closed, closed);
    }
  });
  for (const [key, server] of servers) {
    try {
      await server.listen();
    } catch (err) {
      send({ socketkit: 'listen-error', key, error: errorShape(err) });
      throw err;
    }
    send({ socketkit: 'listening', key, address: server.address });
  }
}

function send(message: ToPrimary): void {
  // The channel may be gone if the primary died; the worker then exits on its own.
  if (process.send !== undefined && process.connected) process.send(message);
}
