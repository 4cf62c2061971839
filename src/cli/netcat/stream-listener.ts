/**
 * The server side of `socketkit listen` for streams (TCP, TLS, Unix): binds, applies
 * `--allow`/`--deny` and `-m`, and runs one {@link runStreamSession} per client. Without
 * `-k` it serves exactly one client and stops listening once that client is accepted
 * (as ncat does); with `-k` it serves any number, concurrently, standard input going to
 * every connected client.
 * @module
 */
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { fromSystemError, type SocketkitError } from '../../errors.js';
import { createTlsServer } from '../../socket/tls-server.js';
import type { AccessList } from './access-list.js';
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
  tls: tls.TlsOptions | null;
  keepOpen: boolean;
  maxConns: number;
  access: AccessList;
  log: NetcatLog;
  /** The input hub for one new connection (shared stdin, a `--send` text, or null). */
  hubFor: () => StdinHub | null;
  session: Omit<StreamSessionOptions, 'hub' | 'where' | 'exitOnPeerEof'> & {
    exitOnPeerEof: boolean;
  };
  signal: AbortSignal;
}

/** How serving ended: the single client's session, or `aborted` for `-k`. */
export type ServeStreamResult = StreamSessionResult | { end: 'aborted'; error: null };

function listenError(err: unknown, target: ListenTarget): SocketkitError {
  return 'path' in target
    ? fromSystemError(err, { path: target.path, syscall: 'bind' })
    : fromSystemError(err, { address: target.host ?? '::', port: target.port, syscall: 'bind' });
}

/** Removes a Unix socket file that nobody listens on any more (a crashed server's leftover). */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED'));
  });
  if (!alive) unlinkSync(path);
}

/** Binds and starts listening; resolves with the server and the address it got. */
async function bind(options: ServeStreamOptions): Promise<net.Server> {
  const { target } = options;
  // TLS: the socket layer's server, which gives every handshake a deadline (10 s) and
  // frees a client that closes or fails before it (issue 10, defect 1).
  const server = options.tls
    ? createTlsServer(
        { ...options.tls, allowHalfOpen: true },
        {
          onSecure: () => {}, // served by the 'secureConnection' listener below
          onAbandoned: (raw, err) => {
            if (err === null) return;
            const peer = describePeer({ address: raw.remoteAddress, port: raw.remotePort });
            options.log.info(`TLS handshake with ${peer} failed: ${err.message}`);
          },
        },
      )
    : net.createServer({ allowHalfOpen: true });
  if ('path' in target) await removeStaleSocket(target.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, target)));
    if ('path' in target) server.listen({ path: target.path }, resolve);
    else {
      const host =
        target.host ?? (target.family === 4 ? '0.0.0.0' : target.family === 6 ? '::' : undefined);
      server.listen(
        { host, port: target.port, ipv6Only: target.family === 6 && target.host === undefined },
        resolve,
      );
    }
  });
  return server;
}

/** Serves clients until the single client is done (no `-k`) or the signal fires. */
export async function serveStream(options: ServeStreamOptions): Promise<ServeStreamResult> {
  const { log, target } = options;
  const server = await bind(options);
  const address = server.address();
  log.info(
    `Listening on ${typeof address === 'string' || address === null ? describePeer({ path: address ?? '' }) : describePeer(address)}`,
  );
  const active = new Set<net.Socket>();
  let accepted = false;
  return await new Promise<ServeStreamResult>((resolve) => {
    let done = false;
    const stop = (result: ServeStreamResult): void => {
      if (done) return;
      done = true;
      options.signal.removeEventListener('abort', onAbort);
      server.close();
      for (const sock of active) sock.destroy();
      if ('path' in target && existsSync(target.path)) {
        try {
          unlinkSync(target.path);
        } catch {
          // Someone else removed or replaced it: nothing to clean up.
        }
      }
      resolve(result);
    };
    const onAbort = (): void => stop({ end: 'aborted', error: null });
    options.signal.addEventListener('abort', onAbort, { once: true });

    const onConnection = (sock: net.Socket): void => {
      sock.on('error', () => {}); // until the session takes over; a reset client must not crash us
      const peer =
        'path' in target
          ? { path: target.path }
          : { address: sock.remoteAddress, port: sock.remotePort };
      if (done || (accepted && !options.keepOpen)) {
        sock.destroy();
        return;
      }
      if (!options.access.allows(sock.remoteAddress)) {
        log.info(`Connection from ${describePeer(peer)} denied (--allow/--deny).`);
        sock.destroy();
        return;
      }
      if (active.size >= options.maxConns) {
        log.info(`New connection denied: connection limit reached (${options.maxConns})`);
        sock.resetAndDestroy();
        return;
      }
      accepted = true;
      active.add(sock);
      log.info(`Connection from ${describePeer(peer)}.`);
      // Without -k, one client is all we serve: stop listening now, as ncat does.
      if (!options.keepOpen) server.close();
      const startedAt = performance.now();
      const where =
        'path' in target
          ? { path: target.path }
          : { address: sock.remoteAddress, port: sock.remotePort };
      void runStreamSession(sock, { ...options.session, hub: options.hubFor(), where }).then(
        (result) => {
          active.delete(sock);
          log.stats(result.sent, result.received, startedAt);
          if (!options.keepOpen) stop(result);
          else if (result.end === 'error' && result.error)
            log.info(`${describePeer(peer)}: ${result.error.message}`);
          else if (result.end === 'idle') log.info(`${describePeer(peer)}: idle timeout expired.`);
        },
      );
    };
    server.on(options.tls ? 'secureConnection' : 'connection', onConnection);
    server.on('error', (err) => log.warn(listenError(err, target).message));
    if (options.signal.aborted) onAbort();
  });
}
