/**
 * `UnixStreamServer`: Python's `UnixStreamServer` — a stream server on a Unix socket path.
 * @module
 */
import net from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { claimUnixSocketPath } from '../socket/unix-path.js';
import type { PeerAddress } from './handler-types.js';
import { createStreamListener, type ListenerEvents, listenOn } from './listener.js';
import { StreamServer, type StreamServerOptions } from './stream-server.js';

/** Options of a `UnixStreamServer`: `path` is required; host, port and noDelay are ignored. */
export type UnixStreamServerOptions = StreamServerOptions & { path: string };

/**
 * A stream server on a Unix domain socket. A stale socket file left by a crashed server
 * is removed (only when nothing accepts connections on it); a live one, or anything that
 * is not a socket, is an `AddressInUseError` (see `claimUnixSocketPath`).
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
  #claimed = false;

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

  /**
   * Tells the server that another process claimed its path already and shares the
   * listening socket with it (the primary of a `ClusterSupervisor`): `listen()` then binds
   * without its stale-socket check, whose probe would connect to the socket a sibling
   * process already listens on, and be served as a (spurious) client. Call before
   * `listen()`.
   */
  assumePathClaimed(): this {
    this.#claimed = true;
    return this;
  }

  protected async createListener(events: ListenerEvents): Promise<net.Server> {
    if (!this.#claimed) await claimUnixSocketPath(this.#path);
    const server = createStreamListener(this.#options.tls, events);
    await listenOn(server, { path: this.#path, backlog: this.backlogSize }, (error) =>
      this.acceptError(error),
    );
    return server;
  }
}
