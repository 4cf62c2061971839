/**
 * `UnixStreamServer`: Python's `UnixStreamServer` — a stream server on a Unix socket path.
 * @module
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import type { PeerAddress } from './handler-types.js';
import { createStreamListener, type ListenerEvents, listenOn } from './listener.js';
import { StreamServer, type StreamServerOptions } from './stream-server.js';

/** Options of a `UnixStreamServer`: `path` is required; host, port and noDelay are ignored. */
export type UnixStreamServerOptions = StreamServerOptions & { path: string };

/**
 * A stream server on a Unix domain socket. A stale socket file left by a crashed server
 * is removed (only when nothing accepts connections on it); a live one is an
 * `AddressInUseError`.
 *
 * @example
 * ```ts
 * await using server = await new UnixStreamServer({
 *   path: '/tmp/echo.sock',
 *   handler: async (conn) => { for await (const c of conn) await conn.sendAll(c); },
 * }).listen();
 * ```
 */
export class UnixStreamServer extends StreamServer {
  readonly #path: string;
  readonly #options: StreamServerOptions;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: StreamServerOptions) {
    super(options);
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new InvalidArgumentError('path must be a non-empty string (the socket file)');
    }
    this.#path = options.path;
    this.#options = options;
  }

  get transport(): 'unix' | 'tls' {
    return this.#options.tls === undefined ? 'unix' : 'tls';
  }

  protected localAddress(): PeerAddress {
    return { family: 'unix', path: this.#path };
  }

  protected remoteOf(_raw: net.Socket): PeerAddress {
    // A Unix stream client is almost always unbound: its address is the empty path.
    return { family: 'unix', path: '' };
  }

  protected override async prepareShared(): Promise<void> {
    await removeStaleSocket(this.#path);
  }

  protected async createListener(events: ListenerEvents): Promise<net.Server> {
    // In a worker the primary did it (prepareShared): a probe here would connect to the
    // socket an earlier worker already shares, and be served as a (spurious) client.
    if (this.clusterRole !== 'worker') await removeStaleSocket(this.#path);
    const server = createStreamListener(this.#options.tls, events);
    await listenOn(server, { path: this.#path, backlog: this.backlogSize }, (error) =>
      this.acceptError(error),
    );
    return server;
  }
}

/**
 * Removes `path` if it is a socket file nobody accepts on (left by a crashed server).
 * Leaves regular files and live sockets alone: binding then fails with a clear error.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  if (path.startsWith('\0')) return; // abstract namespace: no file
  const st = await lstat(path).catch(() => null);
  if (st === null || !st.isSocket()) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      // ECONNREFUSED: a socket file without a listener. EAGAIN: a live but busy listener.
      resolve(err.code !== 'ECONNREFUSED');
    });
  });
  if (!alive) await unlink(path).catch(() => {});
}
