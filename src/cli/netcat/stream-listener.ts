/**
 * The server side of `socketkit listen` for streams (TCP, TLS, Unix), on the library's
 * `Listener`: binds (a stale Unix socket file is replaced, anything else refused; TLS
 * handshakes get a deadline), applies `--allow`/`--deny` as connections arrive (for TLS,
 * before the handshake) and `-m`, and runs one {@link runStreamSession} per client.
 * Without `-k` it serves exactly one client and stops listening once that client is
 * accepted (as ncat does); with `-k` it serves any number, concurrently, standard input
 * going to every connected client.
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { AccessList } from '../../server/access-list.js';
import type { PeerAddress } from '../../socket/address.js';
import { type Accepted, Listener } from '../../socket/listener.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { TlsServerOptions } from '../../socket/tls-server.js';
import { describePeer, type NetcatLog } from './netcat-log.js';
import type { StdinHub } from './stdin-hub.js';
import {
  runStreamSession,
  type StreamSessionOptions,
  type StreamSessionResult,
} from './stream-session.js';

/** Where to listen: a host (undefined: every address) and port, or a Unix path. */
export type ListenTarget =
  { host: string | undefined; port: number; family?: 4 | 6 } | { path: string };

/** Options of {@link serveStream}. */
export interface ServeStreamOptions {
  target: ListenTarget;
  tls: Omit<TlsServerOptions, 'allowHalfOpen'> | null;
  keepOpen: boolean;
  maxConns: number;
  access: AccessList;
  log: NetcatLog;
  /** The input hub for one new connection (shared stdin, a `--send` text, or null). */
  hubFor: () => StdinHub | null;
  session: Omit<StreamSessionOptions, 'hub'>;
  /**
   * Serves a client instead of the stdin/stdout session (`--exec`: a command per client;
   * `--broker`). A rejection ends serving with that error without `-k`, and is logged
   * with it.
   */
  handle?: (socket: Socket, label: string) => Promise<StreamSessionResult>;
  signal: AbortSignal;
}

/** How serving ended: the single client's session, or `aborted` for `-k`. */
export type ServeStreamResult = StreamSessionResult | { end: 'aborted'; error: null };

/** A peer for messages (a Unix client is named by the listening path). */
function peerOf(
  address: PeerAddress,
  target: ListenTarget,
): { path?: string; address?: string; port?: number } {
  return 'path' in target || address.family === 'unix'
    ? { path: 'path' in target ? target.path : '' }
    : { address: address.address, port: address.port };
}

/** Binds and listens (`-4`/`-6` without a host: that family's wildcard only). */
function bind(options: ServeStreamOptions): Promise<Listener> {
  const { target, log } = options;
  const common = {
    ...(options.tls === null ? {} : { tls: options.tls }),
    admit: (address: PeerAddress): boolean => {
      if (options.access.permits(address)) return true;
      log.info(`Connection from ${describePeer(peerOf(address, target))} denied (--allow/--deny).`);
      return false;
    },
  };
  if ('path' in target) return Listener.bind({ path: target.path }, common);
  const host = target.host ?? (target.family === 4 ? '0.0.0.0' : target.family === 6 ? '::' : '');
  return Listener.bind(
    { host, port: target.port },
    { ...common, ipv6Only: target.family === 6 && target.host === undefined },
  );
}

/** Serves clients until the single client is done (no `-k`) or the signal fires. */
export async function serveStream(options: ServeStreamOptions): Promise<ServeStreamResult> {
  const { log, target } = options;
  const listener = await bind(options);
  log.info(`Listening on ${describePeer(peerOf(listener.address, target))}`);
  const onHandshake = (message: unknown): void => {
    const {
      listener: from,
      address,
      error,
    } = message as {
      listener: Listener;
      address: PeerAddress;
      error: Error;
    };
    if (from !== listener) return;
    log.info(
      `TLS handshake with ${describePeer(peerOf(address, target))} failed: ${error.message}`,
    );
  };
  subscribe('socketkit:listener:handshake', onHandshake);
  const active = new Set<Accepted['socket']>();
  try {
    return await new Promise<ServeStreamResult>((resolve, reject) => {
      let done = false;
      const stop = (result: ServeStreamResult, failure: Error | null = null): void => {
        if (done) return;
        done = true;
        options.signal.removeEventListener('abort', onAbort);
        for (const sock of active) sock.destroy();
        void listener.close().then(() => (failure === null ? resolve(result) : reject(failure)));
      };
      const onAbort = (): void => stop({ end: 'aborted', error: null });
      options.signal.addEventListener('abort', onAbort, { once: true });

      const serve = ({ socket, address }: Accepted): void => {
        if (active.size >= options.maxConns) {
          log.info(`New connection denied: connection limit reached (${options.maxConns})`);
          socket.reset();
          return;
        }
        active.add(socket);
        const peer = peerOf(address, target);
        log.info(`Connection from ${describePeer(peer)}.`);
        // Without -k, one client is all we serve: stop listening now, as ncat does.
        if (!options.keepOpen) void listener.close();
        const startedAt = performance.now();
        const session =
          options.handle === undefined
            ? runStreamSession(socket, { ...options.session, hub: options.hubFor() })
            : options.handle(socket, describePeer(peer));
        session.then(
          (result) => {
            active.delete(socket);
            log.stats(result.sent, result.received, startedAt);
            if (!options.keepOpen) stop(result);
            else if (result.end === 'error' && result.error)
              log.info(`${describePeer(peer)}: ${result.error.message}`);
            else if (result.end === 'idle')
              log.info(`${describePeer(peer)}: idle timeout expired.`);
          },
          (err: unknown) => {
            active.delete(socket);
            socket.destroy();
            if (!options.keepOpen)
              stop(
                { end: 'aborted', error: null },
                err instanceof Error ? err : new Error(String(err)),
              );
            else
              log.warn(
                `${describePeer(peer)}: ${err instanceof Error ? err.message : String(err)}`,
              );
          },
        );
      };

      const acceptLoop = async (): Promise<void> => {
        while (!done && !listener.closed) {
          let accepted: Accepted;
          try {
            accepted = await listener.accept();
          } catch (err) {
            // Closed: we are done. Anything else (EMFILE…) is reported; listening goes on.
            if (listener.closed) return;
            log.warn(err instanceof Error ? err.message : String(err));
            continue;
          }
          if (done) accepted.socket.destroy();
          else serve(accepted);
        }
      };
      void acceptLoop();
      if (options.signal.aborted) onAbort();
    });
  } finally {
    unsubscribe('socketkit:listener:handshake', onHandshake);
  }
}
