/**
 * The worker side of a multi-process server: tells the primary what listens, obeys its
 * shutdown requests, and carries relayed datagrams both ways.
 * @module
 */

import { isMessage, type ToPrimary, type ToWorker } from './cluster-messages.js';
import type { PeerAddress } from './handler-types.js';

/** The worker side: tells the primary what listens, and obeys its shutdown requests. */
export const WorkerAgent = {
  servers: new Map<number, (drain: { drainTimeout: number }) => Promise<void>>(),
  relays: new Map<number, (data: Buffer, path: string) => void>(),
  installed: false,

  /**
   * Datagram servers whose socket cannot be shared (Unix datagram): the primary owns the
   * socket and relays each datagram to one worker; `receive` gets them here.
   */
  onDatagram(key: number, receive: (data: Buffer, path: string) => void): void {
    WorkerAgent.relays.set(key, receive);
  },

  /** Sends a relayed datagram server's reply through the primary. */
  sendReply(key: number, data: Buffer, path: string): void {
    send({ socketkit: 'reply', key, data: data.toString('base64'), path });
  },

  /** Called by a server in a worker once it listens. */
  register(
    key: number,
    address: PeerAddress,
    shutdown: (drain: { drainTimeout: number }) => Promise<void>,
  ): void {
    WorkerAgent.servers.set(key, shutdown);
    if (!WorkerAgent.installed) {
      WorkerAgent.installed = true;
      // Ctrl-C reaches the whole process group: leave it to the primary, whose shutdown
      // drains the workers gracefully, instead of every worker dying mid-request.
      process.on('SIGINT', () => {});
      process.on('message', (message: unknown) => {
        if (!isMessage(message)) return;
        const m = message as ToWorker;
        if (m.socketkit === 'datagram') {
          WorkerAgent.relays.get(m.key)?.(Buffer.from(m.data, 'base64'), m.path);
          return;
        }
        if (m.socketkit !== 'shutdown') return;
        const stop = WorkerAgent.servers.get(m.key);
        if (stop === undefined) {
          send({ socketkit: 'closed', key: m.key });
          return;
        }
        void stop({ drainTimeout: m.drainTimeout }).finally(() =>
          send({ socketkit: 'closed', key: m.key }),
        );
      });
    }
    send({ socketkit: 'listening', key, address });
  },

  /** Called by a server in a worker whose listen() failed. */
  reportListenError(key: number, err: unknown): void {
    const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    send({
      socketkit: 'listen-error',
      key,
      error: {
        message: str(e.message) ?? String(err),
        code: str(e.code),
        errno: str(e.errno),
        syscall: str(e.syscall),
        address: str(e.address),
        port: typeof e.port === 'number' ? e.port : undefined,
        path: str(e.path),
      },
    });
  },
};

function send(message: ToPrimary): void {
  // The channel may be gone if the primary died; the worker then exits on its own.
  if (process.send !== undefined && process.connected) process.send(message);
}
